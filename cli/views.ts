/**
 * What `--json` prints of the deployment table: a documented view of each
 * item kind (docs/cli.md, "What --json prints"), never the stored item. A
 * view keeps the record's own fields and drops what is the table's business:
 * the keys (pk, sk, gsi1pk, gsi1sk), the expiry (expiresAt), the lease and
 * ownership fields, and anything a later version adds before it is
 * documented here. It never holds the approval task token: whoever holds it
 * can approve the deployment, and `--json` output ends up in CI logs.
 */
import { z } from 'zod';
import { DeploymentRecordSchema } from '../lambdas/shared/records/deployment.ts';
import { ReleaseRecordSchema } from '../lambdas/shared/records/release.ts';
import { PhaseRunSchema } from '../lambdas/shared/telemetry/phase-runs.ts';

/**
 * A deployment record as the CLI shows it. Without `resume` too: the JSON a
 * recovery execution reads, internal to the pipeline. With each function's
 * runs (`phases`, lambdas/shared/telemetry/phase-runs.ts) and the resolution
 * `baton unlock` records.
 */
export const DeploymentViewSchema = DeploymentRecordSchema.omit({ approvalToken: true, resume: true }).extend({
  phases: z.record(z.string(), PhaseRunSchema).optional(),
  resolvedBy: z.string().optional(),
  resolvedAt: z.string().optional(),
  resolution: z.string().optional(),
});
export type DeploymentView = z.infer<typeof DeploymentViewSchema>;

/** A release record as the CLI shows it: its declared fields (zod drops the rest). */
export const ReleaseViewSchema = ReleaseRecordSchema;
export type ReleaseView = z.infer<typeof ReleaseViewSchema>;
