/**
 * A worker's production write: desired counts, absolute, so a retried write
 * lands in the same place (docs/architecture.md I6).
 *
 * A worker's task takes work from the moment it starts: there is no test
 * listener to try it first. So a write raises the colour that gains tasks,
 * waits until that colour runs them all (its rollout complete, running =
 * desired, no task of another task definition), and only then lowers the
 * other: the old colour gives up work only to tasks that run, and capacity
 * never drops below the count the deployment started with.
 */
import { type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ecs } from '../clients/ecs.ts';
import type { ServiceConfig } from '../config-schema.ts';
import type { Colour } from '../contract.ts';
import { GateFailedError } from '../errors.ts';
import { logger } from '../logger.ts';
import { sleep } from '../time.ts';
import type { Weights } from './listener.ts';
import { COLOURS, countsFor, describeColours, notRunning } from './worker-counts.ts';

/** Seconds between looks while a raised colour starts its tasks. */
export const WORKER_POLL_SECONDS = 5;

export interface CountWrite {
  readonly service: ServiceConfig;
  readonly weights: Weights;
  /** The tasks to share: the count the old colour ran when the deployment started. */
  readonly capacity: number;
  /** When the raised tasks must run by (epoch ms): the write's start plus the service's stabilityTimeoutSeconds. */
  readonly giveUpAt: number;
  /** When this invocation stops waiting (epoch ms): a later one writes the same counts and waits on. */
  readonly stopAt: number;
  /**
   * The gates, checked once the raised tasks run and before the other colour is lowered (throws GateFailedError):
   * the old colour keeps its tasks when an alarm or an event turned the new one bad while its tasks started.
   */
  readonly beforeLower?: () => Promise<void>;
}

/**
 * Raises the colour that gains tasks, waits until it runs them, then lowers
 * the other: `done`. `waiting` when this invocation's time is up first (the
 * raise stays; nothing is lowered). Throws GateFailedError, with the
 * lowering not done, when the raised colour does not run its tasks by
 * `giveUpAt`, or when `beforeLower` fails: production then still has every
 * task of the old colour.
 */
export async function setCountWeights(write: CountWrite, client: ECSClient = ecs()): Promise<'done' | 'waiting'> {
  const { service, weights, capacity } = write;
  const wanted = countsFor(weights, capacity);
  const before = await describeColours(service, client);
  const raised = COLOURS.filter((colour) => wanted[colour] > (before[colour].desiredCount ?? 0));
  const lowered = COLOURS.filter((colour) => wanted[colour] < (before[colour].desiredCount ?? 0));
  for (const colour of raised) await setDesiredCount(service, colour, wanted[colour], client);
  if (lowered.length === 0) return 'done';
  for (;;) {
    const now = await describeColours(service, client);
    const waiting = COLOURS.filter((colour) => wanted[colour] > 0 && !lowered.includes(colour))
      .map((colour) => notRunning(now[colour]))
      .filter((problem): problem is string => problem !== undefined);
    if (waiting.length === 0) break;
    const next = Date.now() + WORKER_POLL_SECONDS * 1000;
    if (next > write.giveUpAt) {
      throw new GateFailedError(
        `worker ${service.name}: ${waiting.join('; ')} after stabilityTimeoutSeconds (${service.stabilityTimeoutSeconds} s); ${lowered.join(' and ')} kept its tasks`,
      );
    }
    if (next > write.stopAt) return 'waiting';
    logger.info('waiting for raised tasks before lowering the other colour', { waiting });
    await sleep(WORKER_POLL_SECONDS * 1000);
  }
  await write.beforeLower?.();
  for (const colour of lowered) await setDesiredCount(service, colour, wanted[colour], client);
  return 'done';
}

async function setDesiredCount(service: ServiceConfig, colour: Colour, desiredCount: number, client: ECSClient): Promise<void> {
  await client.send(new UpdateServiceCommand({ cluster: service.cluster, service: service[colour].serviceName, desiredCount }));
  logger.info('worker colour scaled', { serviceName: service[colour].serviceName, desiredCount });
}
