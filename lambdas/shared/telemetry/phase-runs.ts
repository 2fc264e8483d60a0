/**
 * Each phase's start, end and result in the deployment record, under
 * `phases.<phase>`: the first start, the last end, how many invocations
 * (polling loops and retries) and the latest result.
 */

import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '../clients/dynamodb.ts';
import { isConditionFailed } from '../error-classification.ts';
import { recordKey, tableName } from '../records/keys.ts';
import { parseItem, type RecordOwner } from '../records/table.ts';

const PhaseResultSchema = z.enum(['succeeded', 'waiting', 'failed']);
export type PhaseResult = z.infer<typeof PhaseResultSchema>;

export const PhaseRunSchema = z.object({
  startedAt: z.string(),
  endedAt: z.string(),
  invocations: z.number(),
  result: PhaseResultSchema,
  error: z.string().optional(),
});
export type PhaseRun = z.infer<typeof PhaseRunSchema>;

/** The part of the record the update returns (ALL_NEW) that this reads: the phase's entry. */
const PhasesSchema = z.looseObject({ phases: z.record(z.string(), PhaseRunSchema).optional() });

/**
 * Adds one invocation to the phase's entry and returns the entry as it is
 * now; undefined when the deployment has no record (a dry run).
 */
export async function recordPhaseRun(
  deploymentId: string,
  /** The execution that owns the record: an execution under a reused name writes nothing to it. */
  owner: RecordOwner,
  phase: string,
  run: { startedAt: string; endedAt: string; result: PhaseResult; error?: string },
): Promise<PhaseRun | undefined> {
  const key = { TableName: tableName(), Key: recordKey(deploymentId) };
  const names = { '#phases': 'phases', '#p': phase, '#owner': 'executionArn', '#started': 'startedAt' };
  const entry: PhaseRun = {
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    invocations: 1,
    result: run.result,
    ...(run.error ? { error: run.error } : {}),
  };
  try {
    const out = await dynamo().send(
      new UpdateCommand({
        ...key,
        UpdateExpression: `SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one${run.error ? ', #phases.#p.#error = :error' : ''}${run.error ? '' : ' REMOVE #phases.#p.#error'}`,
        ConditionExpression: 'attribute_exists(#phases.#p) AND #owner = :owner AND #started = :started',
        ExpressionAttributeNames: { ...names, '#result': 'result', '#error': 'error' },
        ExpressionAttributeValues: {
          ':end': run.endedAt,
          ':result': run.result,
          ':one': 1,
          ':owner': owner.executionArn,
          ':started': owner.startedAt,
          ...(run.error ? { ':error': run.error } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const { Key } = key;
    return parseItem(PhasesSchema, `deployment record of ${deploymentId}`, Key, out.Attributes ?? {}).phases?.[phase];
  } catch (error) {
    if (!isConditionFailed(error)) throw error;
  }
  // First invocation of this phase: add its entry, creating the map on a record that has none.
  const attempts = [
    {
      UpdateExpression: 'SET #phases.#p = :entry',
      ConditionExpression: '#owner = :owner AND #started = :started AND attribute_exists(#phases) AND attribute_not_exists(#phases.#p)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':entry': entry, ':owner': owner.executionArn, ':started': owner.startedAt },
    },
    {
      UpdateExpression: 'SET #phases = :map',
      ConditionExpression: '#owner = :owner AND #started = :started AND attribute_not_exists(#phases)',
      // DynamoDB refuses names an expression does not use.
      ExpressionAttributeNames: { '#phases': 'phases', '#owner': 'executionArn', '#started': 'startedAt' },
      ExpressionAttributeValues: { ':map': { [phase]: entry }, ':owner': owner.executionArn, ':started': owner.startedAt },
    },
  ];
  for (const attempt of attempts) {
    try {
      await dynamo().send(new UpdateCommand({ ...key, ...attempt }));
      return entry;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
  return undefined;
}
