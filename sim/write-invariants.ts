/**
 * The traffic and record invariants (docs/architecture.md I1, I2, I8: rules
 * a, c, b below), checked at every write that can break them, in the order
 * the account answered them (sim/account/writes.ts), each against the
 * account as it stood right after that write.
 *
 * Traffic: any non-zero weight is traffic. A colour is "verified healthy" at a
 * moment when its target group has at least one healthy target and no
 * unhealthy one, and its ECS service runs its desired count (more than 0) of
 * tasks of its current task definition, with no task of an earlier definition
 * left: the rollout of its last UpdateService is over and its targets are
 * those tasks, so the health seen is the health of what the colour runs now.
 *
 *  a. At every production listener write (ModifyListener / ModifyRule), each
 *     colour with weight must be verified healthy. The one exception is the
 *     operator's own traffic: a write that leaves the listener as the run
 *     found it, on a colour no UpdateService has touched since. An
 *     UpdateService that changes the task definition of a colour with weight
 *     is a break too (the colour is no longer the one verified).
 *  b. A record written with a terminal status agrees with the weights:
 *     SUCCEEDED → 100 % on its targetColour, verified healthy when the status
 *     is written; ROLLED_BACK → 100 % on its liveColour, or the weights it
 *     started with; REJECTED, DUPLICATE, SUPERSEDED → the weights it started
 *     with; ROLLBACK_FAILED → anything. Every later write to a terminal
 *     record is held to the same (a rollback annotating a SUCCEEDED record).
 *     "Started with": the weights at the record's first write in the run, or
 *     as the run started for a record the account file already held. A
 *     release record holds each of its services to the same rule, with the
 *     colours of that service's deployment record. At the end of the run,
 *     each service's last terminal deployment record must still agree.
 *  c. UpdateService to 0 tasks: never on a colour with weight; and on the
 *     deployment's old colour (liveColour of the lock holder's record, else of
 *     the service's last record written) only while the new colour has no
 *     unhealthy target, as many healthy targets as desired tasks, and none
 *     of the service's alarms is in ALARM.
 *
 * A worker (no load balancer) has as weights its colours' shares of the ECS
 * desired counts (sim/production.ts, countWeights), wherever a web service
 * has its listener's; "verified" is the ECS half alone (no target health):
 * at least its desired count (more than 0) running, all of its current task
 * definition. Its traffic moves by UpdateService, so:
 *  a. At every UpdateService that lowers a worker colour's desired count,
 *     each colour of the service still with tasks wanted must be verified
 *     (raising is not checked: a worker's task takes work as it starts, there
 *     is nothing to verify it against first). A new task definition on a
 *     colour with desired count > 0 is a break, as for a web colour with weight.
 *  b. As for a web service, with the weights from desired counts.
 *  c. UpdateService to 0 of the old colour only while the new colour is
 *     verified and none of the service's alarms is in ALARM (this is the check
 *     of rule a for that write).
 */
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { TerminalStatusSchema } from '../lambdas/shared/contract.ts';
import type { AccountSnapshot, AccountWrite, ServiceSnapshot } from './account/writes.ts';
import { COLOURS, type Colour, describeWeights as describe, ecsKey, otherColour, type Weights, weightsOf } from './production.ts';

type Item = Readonly<Record<string, unknown>>;
/** What the weights are read from at one moment. */
type Production = Pick<AccountSnapshot, 'listeners' | 'services'>;

export interface WriteHistory {
  /** The account as the run's first call found it; undefined when nothing was called. */
  readonly start: AccountSnapshot | undefined;
  readonly writes: readonly AccountWrite[];
  /** Records the account file held, by table key (`pk|sk`). */
  readonly initialRecords: ReadonlyMap<string, Item>;
  /** The listeners' weights and the ECS services' desired counts as the run ended. */
  readonly end: Production;
}

export function checkWrites(config: BatonConfig, history: WriteHistory): string[] {
  const { start } = history;
  if (!start) return [];
  const broken: string[] = [];
  const records = new Map<string, Item>(history.initialRecords);
  /** Per record key: the account at the record's first write in the run (or as the run started, for a record the file held). */
  const startedAt = new Map<string, Production>();
  /** Colours (`service/colour`) an UpdateService touched since the run started. */
  const touched = new Set<string>();
  /** Per service: the last deployment record written with a terminal status, and when. */
  const lastTerminal = new Map<string, { key: string; item: Item; weights: Weights }>();
  /** Per service: the last deployment record written. */
  const lastRecord = new Map<string, Item>();
  let before = start;
  const moment = (write: AccountWrite) =>
    `at +${Math.round((write.after.at - start.at) / 1000)} s${write.state ? ` (${write.state})` : ''}`;

  for (const write of history.writes) {
    if (write.kind === 'listener') {
      const service = config.services.find((s) => s.productionListenerArn === write.arn);
      if (service) broken.push(...trafficBroken(service, write, start, touched, moment(write)));
    } else if (write.kind === 'service') {
      const found = colourOf(config, write.service);
      if (found) {
        const { service, colour } = found;
        const was = before.services[write.service];
        const now = write.after.services[write.service];
        touched.add(`${service.name}/${colour}`);
        const weights = weightsAt(write.after, service);
        if (was?.taskDefinitionArn !== now?.taskDefinitionArn && weights[colour] > 0) {
          broken.push(
            `${service.name}: ${moment(write)}, ${colour} (${service[colour].serviceName}) got task definition ${now?.taskDefinitionArn ?? '?'} while it carries production traffic (${describe(weights)})`,
          );
        }
        const holder = write.after.locks[service.name];
        const deployment = (holder ? records.get(`DEPLOYMENT#${holder}|RECORD`) : undefined) ?? lastRecord.get(service.name);
        const retiring = write.desiredCount === 0 ? scaleDownBroken(service, colour, deployment, write, moment(write)) : undefined;
        if (retiring) broken.push(...retiring);
        else if (service.kind === 'worker' && was && now && now.desiredCount < was.desiredCount) {
          broken.push(...loweringBroken(service, colour, was, write, moment(write)));
        }
      }
    } else {
      if (!startedAt.has(write.key)) startedAt.set(write.key, history.initialRecords.has(write.key) ? start : write.after);
      const status = String(write.item.status);
      const statusChanged = records.get(write.key)?.status !== status;
      const written = statusChanged ? `written ${status}` : `updated, still ${status},`;
      records.set(write.key, write.item);
      const started = startedAt.get(write.key) ?? start;
      if (write.key.startsWith('DEPLOYMENT#')) {
        const service = config.services.find((s) => s.name === write.item.service);
        if (!service) continue;
        lastRecord.set(service.name, write.item);
        if (!TERMINAL.has(status)) continue;
        const weights = weightsAt(write.after, service);
        lastTerminal.set(service.name, { key: write.key, item: write.item, weights });
        const wrong = disagreement(status, write.item, weights, weightsAt(started, service));
        if (wrong) {
          broken.push(
            `${service.name}: ${moment(write)}, record ${String(write.item.deploymentId)} was ${written} while production is at ${describe(weights)} (${wrong})`,
          );
        }
        // SUCCEEDED says the new colour holds production healthy.
        const target = write.item.targetColour;
        const problems = status === 'SUCCEEDED' && statusChanged && isColour(target) ? unverified(service, target, write.after) : [];
        if (problems.length > 0 && isColour(target)) {
          broken.push(
            `${service.name}: ${moment(write)}, record ${String(write.item.deploymentId)} was written SUCCEEDED with ${target} (${service[target].serviceName}) ${notVerified(service)}: ${problems.join(', ')}`,
          );
        }
      } else if (TERMINAL.has(status)) {
        const entries = (write.item.services ?? {}) as Record<string, { deploymentId?: unknown }>;
        for (const [name, entry] of Object.entries(entries)) {
          const service = config.services.find((s) => s.name === name);
          if (!service) continue;
          const deployment = records.get(`DEPLOYMENT#${String(entry.deploymentId)}|RECORD`) ?? {};
          const weights = weightsAt(write.after, service);
          const wrong = disagreement(status, deployment, weights, weightsAt(started, service));
          if (wrong) {
            broken.push(
              `${name}: ${moment(write)}, release record ${String(write.item.releaseId)} was ${written} while production is at ${describe(weights)} (${wrong})`,
            );
          }
        }
      }
    }
    before = write.after;
  }

  // A production write (listener, or a worker's desired counts) after the last record must not contradict it.
  for (const [name, { key, item, weights: written }] of lastTerminal) {
    const service = config.services.find((s) => s.name === name);
    if (!service) continue;
    const status = String(item.status);
    const weights = weightsAt(history.end, service);
    // Unchanged since the record was written: checked then.
    if (sameWeights(weights, written)) continue;
    const wrong = disagreement(status, item, weights, weightsAt(startedAt.get(key) ?? start, service));
    if (wrong) {
      broken.push(
        `${name}: at the end of the run, record ${String(item.deploymentId)} says ${status} while production is at ${describe(weights)} (${wrong})`,
      );
    }
  }
  return broken;
}

const TERMINAL: ReadonlySet<string> = new Set(TerminalStatusSchema.options);

/** Rule a at one listener write. */
function trafficBroken(
  service: ServiceConfig,
  write: AccountWrite,
  start: AccountSnapshot,
  touched: ReadonlySet<string>,
  when: string,
): string[] {
  const weights = weightsAt(write.after, service);
  const asFound = sameWeights(weights, weightsAt(start, service));
  const broken: string[] = [];
  for (const colour of COLOURS) {
    if (weights[colour] === 0) continue;
    if (asFound && !touched.has(`${service.name}/${colour}`)) continue;
    const problems = unverified(service, colour, write.after);
    if (problems.length > 0) {
      broken.push(
        `${service.name}: ${when}, the production listener was set to ${describe(weights)} with ${colour} (${service[colour].serviceName}) not verified healthy: ${problems.join(', ')}`,
      );
    }
  }
  return broken;
}

/** A worker's rule a at one UpdateService that lowered `colour`: every colour still wanting tasks runs them. */
function loweringBroken(service: ServiceConfig, colour: Colour, was: ServiceSnapshot, write: AccountWrite, when: string): string[] {
  const now = write.after.services[ecsKey(service, colour)];
  const lowered = `${colour} (${service[colour].serviceName}) was lowered from ${was.desiredCount} to ${now?.desiredCount ?? 0} tasks`;
  return COLOURS.filter((other) => (write.after.services[ecsKey(service, other)]?.desiredCount ?? 0) > 0).flatMap((other) => {
    const problems = unverified(service, other, write.after);
    if (problems.length === 0) return [];
    return [
      `${service.name}: ${when}, ${lowered} with ${other} (${service[other].serviceName}) not verified running: ${problems.join(', ')}`,
    ];
  });
}

/**
 * Why a colour is not verified at this moment; empty when it is. A web colour: healthy targets, and ECS runs
 * exactly its desired count. A worker's colour (no targets): ECS runs at least its desired count, a lowered colour
 * still running the tasks it is about to stop.
 */
function unverified(service: ServiceConfig, colour: Colour, at: AccountSnapshot): string[] {
  const ecs = at.services[ecsKey(service, colour)];
  const worker = service.kind === 'worker';
  const problems: string[] = [];
  if (!worker) {
    const targets = at.targets[service[colour].targetGroupArn ?? ''] ?? { healthy: 0, unhealthy: 0 };
    if (targets.healthy === 0) problems.push('no healthy target');
    if (targets.unhealthy > 0) problems.push(`${targets.unhealthy} unhealthy target${targets.unhealthy === 1 ? '' : 's'}`);
  }
  if (!ecs) return [...problems, 'no ECS service'];
  const short = worker ? ecs.running < ecs.desiredCount : ecs.running !== ecs.desiredCount;
  if (ecs.desiredCount === 0 || short) problems.push(`${ecs.running} of ${ecs.desiredCount} desired tasks running`);
  if (ecs.stale > 0) problems.push(`${ecs.stale} task${ecs.stale === 1 ? '' : 's'} of an earlier task definition still up`);
  return problems;
}

/** The words for a colour `unverified` finds fault with. */
function notVerified(service: ServiceConfig): string {
  return service.kind === 'worker' ? 'not verified running' : 'not verified healthy';
}

/** Rule c at one UpdateService to 0 tasks; undefined when it is not the deployment's old colour and carries no traffic. */
function scaleDownBroken(
  service: ServiceConfig,
  colour: Colour,
  deployment: Item | undefined,
  write: AccountWrite,
  when: string,
): string[] | undefined {
  const weights = weightsAt(write.after, service);
  const name = `${colour} (${service[colour].serviceName})`;
  if (weights[colour] > 0)
    return [`${service.name}: ${when}, ${name} was scaled to 0 while it carries production traffic (${describe(weights)})`];
  if (deployment?.liveColour !== colour) return undefined;
  const other = otherColour(colour);
  const problems = service.kind === 'worker' ? unverified(service, other, write.after) : targetsShort(service, other, write.after);
  for (const alarm of service.alarms) if (write.after.alarms[alarm] === 'ALARM') problems.push(`alarm ${alarm} in ALARM`);
  if (problems.length === 0) return [];
  return [
    `${service.name}: ${when}, the old colour ${name} was scaled to 0 while the new colour ${other} (${service[other].serviceName}) could not stand alone: ${problems.join(', ')}`,
  ];
}

/** Why a web colour's targets cannot carry all traffic: unhealthy ones, or fewer healthy than its desired tasks. */
function targetsShort(service: ServiceConfig, colour: Colour, at: AccountSnapshot): string[] {
  const targets = at.targets[service[colour].targetGroupArn ?? ''] ?? { healthy: 0, unhealthy: 0 };
  const desired = at.services[ecsKey(service, colour)]?.desiredCount ?? 0;
  const problems: string[] = [];
  if (targets.unhealthy > 0) problems.push(`${targets.unhealthy} unhealthy target${targets.unhealthy === 1 ? '' : 's'}`);
  if (targets.healthy < desired || desired === 0)
    problems.push(`${targets.healthy} healthy target${targets.healthy === 1 ? '' : 's'} of ${desired} desired`);
  return problems;
}

/** Why a terminal status contradicts the weights; undefined when it agrees. */
function disagreement(status: string, record: Item, weights: Weights, started: Weights): string | undefined {
  const allOn = (colour: unknown) => isColour(colour) && weights[colour] > 0 && weights[otherColour(colour)] === 0;
  if (status === 'SUCCEEDED') {
    if (!isColour(record.targetColour)) return 'expected 100 % on the new colour, and the record names none';
    return allOn(record.targetColour) ? undefined : `expected 100 % on ${record.targetColour}`;
  }
  if (status === 'ROLLED_BACK') {
    if (allOn(record.liveColour) || sameWeights(weights, started)) return undefined;
    const live = isColour(record.liveColour) ? `100 % on ${record.liveColour} or ` : '';
    return `expected ${live}the weights it started with, ${describe(started)}`;
  }
  if (status === 'REJECTED' || status === 'DUPLICATE' || status === 'SUPERSEDED') {
    return sameWeights(weights, started) ? undefined : `expected the weights it started with, ${describe(started)}`;
  }
  return undefined;
}

function colourOf(config: BatonConfig, ecsService: string): { service: ServiceConfig; colour: Colour } | undefined {
  for (const service of config.services) {
    for (const colour of COLOURS) if (ecsKey(service, colour) === ecsService) return { service, colour };
  }
  return undefined;
}

function weightsAt(at: Production, service: ServiceConfig): Weights {
  return weightsOf(service, at.listeners, at.services);
}

function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue === b.blue && a.green === b.green;
}

function isColour(value: unknown): value is Colour {
  return value === 'blue' || value === 'green';
}
