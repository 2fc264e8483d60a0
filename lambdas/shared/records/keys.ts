/**
 * The deployment table's key layout: every item kind, in a single DynamoDB
 * table keyed by pk/sk.
 *
 *   LOCK#<service>      / LOCK    the per-service lock (lambdas/shared/lock/)
 *   DEPLOYMENT#<id>     / RECORD  a deployment record (records/deployment.ts)
 *   RELEASE#<id>        / RECORD  a release record (records/release.ts)
 *   QUEUE#<service>     / QUEUE   the image to start next (records/queue-entry.ts)
 *
 * Records carry gsi1pk and gsi1sk = <startedAt>#<id> so they list newest
 * first from the `byService` index: a service's deployments under
 * SERVICE#<service>, releases under RELEASES.
 */
import { ContractViolationError } from '../errors.ts';

export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

const LOCK_SK = 'LOCK';
const RECORD_SK = 'RECORD';
export const QUEUE_SK = 'QUEUE' as const;

export const lockKey = (service: string): TableKey => ({ pk: `LOCK#${service}`, sk: LOCK_SK });
export const recordKey = (deploymentId: string): TableKey => ({ pk: `DEPLOYMENT#${deploymentId}`, sk: RECORD_SK });
export const releaseKey = (releaseId: string): TableKey => ({ pk: `RELEASE#${releaseId}`, sk: RECORD_SK });
export const queueKey = (service: string): { pk: string; sk: typeof QUEUE_SK } => ({ pk: `QUEUE#${service}`, sk: QUEUE_SK });

/** The GSI that lists a service's records (and the releases) newest first. */
export const SERVICE_INDEX = 'byService';
/** The partition of the byService index that lists a service's deployment records. */
export const serviceIndexKey = (service: string): string => `SERVICE#${service}`;
/** The partition of the byService index that lists releases. */
export const RELEASES_INDEX_KEY = 'RELEASES';

/** The index keys of a record: its partition and its place in it, newest first by start time. */
export function indexKeys(partition: string, startedAt: string, id: string): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: partition, gsi1sk: `${startedAt}#${id}` };
}

export function tableName(): string {
  const name = process.env.BATON_TABLE_NAME;
  if (!name) throw new ContractViolationError('BATON_TABLE_NAME is not set');
  return name;
}
