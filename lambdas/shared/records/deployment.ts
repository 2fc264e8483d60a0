/**
 * The deployment record: one item per deployment (DEPLOYMENT#<id> / RECORD,
 * keys.ts), created by its execution, annotated while it runs, ended once.
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { AnalysisEntrySchema } from '../analysis/entry.ts';
import { dynamo } from '../clients/dynamodb.ts';
import { ConfigDiffSchema, PlanStepSchema, SecretRefSchema, type TerminalStatus, TerminalStatusSchema } from '../contract.ts';
import { ScalingRecordSchema } from '../scaling/snapshot.ts';
import { indexKeys, recordKey, serviceIndexKey, tableName } from './keys.ts';
import { conditionally, createOwnRecord, expiresAt, type RecordOwner, readItem, updateOwned, writeOutcome } from './table.ts';

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set<TerminalStatus>(TerminalStatusSchema.options);

/**
 * A revision: what one colour runs (image, task definition, secret
 * versions). Stored in a deployment record under `previousRelease` and
 * `newRelease` (attribute names older than the word).
 */
const RevisionSchema = z.object({
  /** Image URI by digest. */
  image: z.string(),
  taskDefinitionArn: z.string().optional(),
  secrets: z.array(SecretRefSchema),
});
export type Revision = z.infer<typeof RevisionSchema>;

/** One write of the production weights of a deployment, as it succeeded. */
export const WeightChangeSchema = z.object({
  /** When the listener write succeeded (ISO). */
  at: z.string(),
  /** Percent of production traffic on each colour (absolute, summing to 100). */
  blue: z.number(),
  green: z.number(),
  /** The function that wrote it (a PhaseName: shiftTraffic, shiftTogether, rollback). */
  phase: z.string(),
  /** For a step of the strategy's plan: which one (1-based) of how many. */
  step: z.number().int().optional(),
  of: z.number().int().optional(),
});
export type WeightChange = z.infer<typeof WeightChangeSchema>;

/** The strategy's parameters as the deployment resolved them: what its weight changes were meant to follow. */
export const TrafficPlanSchema = z.object({
  /** The strategy's type: all-at-once, canary, linear or steps. */
  strategy: z.string(),
  /** planSteps(strategy): the new colour's weight after each step, and the pause after it. */
  steps: z.array(PlanStepSchema),
  bakeSeconds: z.number(),
  gateIntervalSeconds: z.number(),
});
export type TrafficPlan = z.infer<typeof TrafficPlanSchema>;

/** A traffic step that waits for `baton promote` (strategy steps with "pause": "approval"), while it waits. */
export const AwaitingPromotionSchema = z.object({
  /** The step (1-based) of the plan, and the plan's length. */
  step: z.number().int().min(1),
  of: z.number().int().min(1),
  /** The new colour and its weight while the step waits. */
  colour: z.string(),
  weight: z.number(),
  since: z.string(),
  /** When the wait ends by itself, and what happens then. */
  until: z.string(),
  onTimeout: z.enum(['rollback', 'proceed']),
});
export type AwaitingPromotion = z.infer<typeof AwaitingPromotionSchema>;

/** A `baton promote` the deployment acted on: who, when, at which step, and whether it skipped the remaining steps. */
export const PromotionEntrySchema = z.object({
  step: z.number().int().min(1),
  weight: z.number(),
  full: z.boolean(),
  by: z.string(),
  at: z.string(),
  reason: z.string().optional(),
});
export type PromotionEntry = z.infer<typeof PromotionEntrySchema>;

export const DeploymentRecordSchema = z.object({
  deploymentId: z.string(),
  service: z.string(),
  status: z.enum(['IN_PROGRESS', ...TerminalStatusSchema.options]),
  executionArn: z.string(),
  startedAt: z.string(),
  trigger: z.string(),
  requestedBy: z.string().optional(),
  reason: z.string().optional(),
  imageTag: z.string().optional(),
  imageDigest: z.string().optional(),
  strategy: z.string().optional(),
  /** The strategy's plan and timings, written with the record. */
  plan: TrafficPlanSchema.optional(),
  /** Every production weight write of the deployment, in order (recordWeightChange). */
  weightChanges: z.array(WeightChangeSchema).optional(),
  /** The old colour (stored name kept: records are read for 400 days; docs/glossary.md). */
  liveColour: z.string().optional(),
  /** The new colour (stored name kept, as liveColour). */
  targetColour: z.string().optional(),
  previousTaskDefinitionArn: z.string().optional(),
  newTaskDefinitionArn: z.string().optional(),
  secretVersionId: z.string().optional(),
  /** The revision the live colour ran when the deployment started (stored as `previousRelease`). */
  previousRelease: RevisionSchema.optional(),
  /** The revision the deployment put on the other colour (stored as `newRelease`). */
  newRelease: RevisionSchema.optional(),
  /** App-config keys added, removed or changed between the two revisions (names only). */
  configDiff: ConfigDiffSchema.optional(),
  /** The task token `baton approve` sends back; only while the deployment waits for approval. */
  approvalToken: z.string().optional(),
  approvalRequestedAt: z.string().optional(),
  awaitingApproval: z.boolean().optional(),
  /** Set while a traffic step waits for `baton promote`; removed when it is promoted or its wait ends. */
  awaitingPromotion: AwaitingPromotionSchema.optional(),
  /** Every `baton promote` the deployment acted on, in order. */
  promotions: z.array(PromotionEntrySchema).optional(),
  /** Each traffic step's last judgement of the new colour against the old (services[].analysis), in order. */
  analyses: z.array(AnalysisEntrySchema).optional(),
  /** When the start of the deployment was announced (telemetry/start.ts): set once, so a retried phase does not announce it again. */
  announcedStart: z.string().optional(),
  /** Who let traffic move (the approver's caller ARN, as `baton approve` sent it), when, and why. */
  approvedBy: z.string().optional(),
  approvedAt: z.string().optional(),
  approvalReason: z.string().optional(),
  /** The colours' scalable targets and policies before the deployment changed them and, once it ended, after (services[].autoscaling). */
  scaling: ScalingRecordSchema.optional(),
  /** For a rollback: the deployment whose revision was redeployed. */
  restores: z.string().optional(),
  /** The release (its id) this deployment is part of, when it is one service of a multi-service release. */
  release: z.string().optional(),
  endedAt: z.string().optional(),
  /** The state that failed, for deployments that did not succeed. */
  failedPhase: z.string().optional(),
  /** Why it ended: the error name and message for failures. */
  outcomeReason: z.string().optional(),
  evidence: z.array(z.string()).optional(),
  warnings: z.array(z.string()).optional(),
  /** For an image that waited in the service's queue: the execution that queued it (lambdas/shared/queue.ts). */
  queuedFrom: z.string().optional(),
  /** Set on a running deployment a newer image supersedes (onNewerImage "supersede"): that image and its execution. */
  supersededBy: z.string().optional(),
  /** JSON of what a recovery execution needs to roll this deployment back (see outcome.ts resumePoint). */
  resume: z.string().optional(),
});
export type DeploymentRecord = z.infer<typeof DeploymentRecordSchema>;

/** A record as stored: the fields above, and whatever else is on the item (phases, index keys, an operator's resolution). */
export const StoredDeploymentRecordSchema = DeploymentRecordSchema.loose();

export async function getRecord(deploymentId: string): Promise<z.infer<typeof StoredDeploymentRecordSchema> | undefined> {
  return readItem(StoredDeploymentRecordSchema, `deployment record of ${deploymentId}`, recordKey(deploymentId));
}

function recordIndexKeys(record: DeploymentRecord): { gsi1pk: string; gsi1sk: string } {
  return indexKeys(serviceIndexKey(record.service), record.startedAt, record.deploymentId);
}

export async function createRecord(record: DeploymentRecord): Promise<void> {
  await createOwnRecord(recordKey(record.deploymentId), { ...recordIndexKeys(record), ...record }, 'deployment');
}

/**
 * Writes the terminal status once: a record that already ended is left as it
 * is, except that ROLLED_BACK replaces ROLLBACK_FAILED (a later rollback
 * attempt got traffic back). An update, not a put, so fields written by
 * earlier phases are kept. Returns the whole record when this call wrote the
 * outcome, undefined otherwise, so each outcome is announced exactly once.
 */
export async function finishRecord(
  base: DeploymentRecord,
  patch: { status: TerminalStatus; outcomeReason: string; evidence?: string[]; warnings?: string[] },
): Promise<(DeploymentRecord & { endedAt: string }) | undefined> {
  const fields: Record<string, unknown> = {
    ...recordIndexKeys(base),
    ...base,
    status: patch.status,
    outcomeReason: patch.outcomeReason,
    evidence: patch.evidence ?? [],
    warnings: patch.warnings ?? [],
    endedAt: new Date().toISOString(),
    expiresAt: expiresAt(),
  };
  // A step's wait for promotion ends with the deployment, whichever way it ended.
  return writeOutcome<DeploymentRecord & { endedAt: string }>(recordKey(base.deploymentId), fields, patch.status, ['awaitingPromotion']);
}

/** Updates fields of an in-progress record (task definition ARNs, secret version), only if `owner` wrote it. */
export async function annotateRecord(deploymentId: string, owner: RecordOwner, fields: Partial<DeploymentRecord>): Promise<void> {
  await updateOwned(recordKey(deploymentId), owner, fields);
}

/** Which write a change is, whenever it happened: a retried invocation writes the same one again. */
function writeKey(change: WeightChange): string {
  const step = change.step === undefined ? '' : ` step ${change.step} of ${change.of ?? '?'}`;
  return `${change.phase}${step}: blue ${change.blue} green ${change.green}`;
}

/**
 * Appends a production weight write to the record, only if `owner` wrote it.
 * A retried invocation writes the same absolute weights again (docs/architecture.md I6):
 * the record keeps the last write's key (`lastWeightChange`, bookkeeping the
 * schema leaves undeclared, so no view prints it), and a change whose key is
 * that one is not appended twice. One conditional update, no
 * read. Returns whether it was appended: false too when there is no record
 * (a dry run) or it is another execution's.
 */
export async function recordWeightChange(deploymentId: string, owner: RecordOwner, change: WeightChange): Promise<boolean> {
  const owned = '#owner = :owner AND #started = :started';
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: recordKey(deploymentId),
        UpdateExpression: 'SET #changes = list_append(if_not_exists(#changes, :none), :change), #last = :key',
        // DynamoDB binds AND tighter than OR: owned and (no last write, or another one).
        ConditionExpression: `${owned} AND attribute_not_exists(#last) OR ${owned} AND #last <> :key`,
        ExpressionAttributeNames: {
          '#changes': 'weightChanges',
          '#last': 'lastWeightChange',
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: {
          ':none': [],
          ':change': [change],
          ':key': writeKey(change),
          ':owner': owner.executionArn,
          ':started': owner.startedAt,
        },
      }),
    ),
  );
}

/** Notes that the deployment's start is announced, at `at`; false when it already was (or the record is another execution's). */
export async function claimStartAnnouncement(deploymentId: string, owner: RecordOwner, at: string): Promise<boolean> {
  return conditionally(() => updateOwned(recordKey(deploymentId), owner, { announcedStart: at }, 'announcedStart'));
}

const OWNED = '#owner = :owner AND #started = :started';
const ownerValues = (owner: RecordOwner) => ({ ':owner': owner.executionArn, ':started': owner.startedAt });

/**
 * Notes that a step waits for `baton promote`; false when the record already
 * says so for this step (a retried invocation that applied it again: it
 * announces nothing again), or the record is another execution's.
 */
export async function claimPromotionWait(deploymentId: string, owner: RecordOwner, wait: AwaitingPromotion): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: recordKey(deploymentId),
        UpdateExpression: 'SET #wait = :wait',
        // DynamoDB binds AND tighter than OR: owned and (no wait noted, or one for another step).
        ConditionExpression: `${OWNED} AND attribute_not_exists(#wait) OR ${OWNED} AND #wait.#step <> :step`,
        ExpressionAttributeNames: { '#wait': 'awaitingPromotion', '#step': 'step', '#owner': 'executionArn', '#started': 'startedAt' },
        ExpressionAttributeValues: { ':wait': wait, ':step': wait.step, ...ownerValues(owner) },
      }),
    ),
  );
}

/**
 * Appends `entry` to the record's list `list`, once per plan step: `last`
 * keeps the last step appended (bookkeeping the schema leaves undeclared), so
 * a retried invocation appends nothing again. `remove` goes with it (a wait
 * that the entry ends). False when the step was appended already, or the
 * record is another execution's.
 */
export async function appendForStep(
  deploymentId: string,
  owner: RecordOwner,
  fields: { list: string; last: string; step: number; entry: unknown; remove?: string },
): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: recordKey(deploymentId),
        UpdateExpression: `SET #list = list_append(if_not_exists(#list, :none), :entry), #last = :step${fields.remove ? ' REMOVE #remove' : ''}`,
        ConditionExpression: `${OWNED} AND attribute_not_exists(#last) OR ${OWNED} AND #last < :step`,
        ExpressionAttributeNames: {
          '#list': fields.list,
          '#last': fields.last,
          ...(fields.remove ? { '#remove': fields.remove } : {}),
          '#owner': 'executionArn',
          '#started': 'startedAt',
        },
        ExpressionAttributeValues: { ':none': [], ':entry': [fields.entry], ':step': fields.step, ...ownerValues(owner) },
      }),
    ),
  );
}

/** Appends the promotion that ended a step's hold, once per step; the step's wait for it, if any, ends with it. */
export async function promotedStep(deploymentId: string, owner: RecordOwner, promotion: PromotionEntry): Promise<boolean> {
  return appendForStep(deploymentId, owner, {
    list: 'promotions',
    last: 'lastPromotedStep',
    step: promotion.step,
    entry: promotion,
    remove: 'awaitingPromotion',
  });
}

/** Ends a step's wait for promotion, its time over with nobody promoting it (removing what is gone already changes nothing). */
export async function endPromotionWait(deploymentId: string, owner: RecordOwner): Promise<boolean> {
  return conditionally(() =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: recordKey(deploymentId),
        UpdateExpression: 'REMOVE #wait',
        ConditionExpression: OWNED,
        ExpressionAttributeNames: { '#wait': 'awaitingPromotion', '#owner': 'executionArn', '#started': 'startedAt' },
        ExpressionAttributeValues: ownerValues(owner),
      }),
    ),
  );
}
