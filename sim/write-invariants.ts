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
 */
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { TerminalStatusSchema } from '../lambdas/shared/contract.ts';
import type { AccountSnapshot, AccountWrite } from './account/writes.ts';

type Colour = 'blue' | 'green';
type Weights = Readonly<Record<Colour, number>>;
type Item = Readonly<Record<string, unknown>>;

const COLOURS: readonly Colour[] = ['blue', 'green'];

export interface WriteHistory {
  /** The account as the run's first call found it; undefined when nothing was called. */
  readonly start: AccountSnapshot | undefined;
  readonly writes: readonly AccountWrite[];
  /** Records the account file held, by table key (`pk|sk`). */
  readonly initialRecords: ReadonlyMap<string, Item>;
  /** Listener or rule ARN → target group ARN → weight, as the run ended. */
  readonly endListeners: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export function checkWrites(config: BatonConfig, history: WriteHistory): string[] {
  const { start } = history;
  if (!start) return [];
  const broken: string[] = [];
  const records = new Map<string, Item>(history.initialRecords);
  const startListeners = new Map<string, AccountSnapshot['listeners']>();
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
        const weights = weightsOf(write.after.listeners, service);
        if (was?.taskDefinitionArn !== now?.taskDefinitionArn && weights[colour] > 0) {
          broken.push(
            `${service.name}: ${moment(write)}, ${colour} (${service[colour].serviceName}) got task definition ${now?.taskDefinitionArn ?? '?'} while it carries production traffic (${describe(weights)})`,
          );
        }
        if (write.desiredCount === 0) {
          const holder = write.after.locks[service.name];
          const deployment = (holder ? records.get(`DEPLOYMENT#${holder}|RECORD`) : undefined) ?? lastRecord.get(service.name);
          broken.push(...scaleDownBroken(service, colour, deployment, write, moment(write)));
        }
      }
    } else {
      if (!startListeners.has(write.key)) {
        startListeners.set(write.key, history.initialRecords.has(write.key) ? start.listeners : write.after.listeners);
      }
      const status = String(write.item.status);
      const statusChanged = records.get(write.key)?.status !== status;
      const written = statusChanged ? `written ${status}` : `updated, still ${status},`;
      records.set(write.key, write.item);
      const started = startListeners.get(write.key) ?? start.listeners;
      if (write.key.startsWith('DEPLOYMENT#')) {
        const service = config.services.find((s) => s.name === write.item.service);
        if (!service) continue;
        lastRecord.set(service.name, write.item);
        if (!TERMINAL.has(status)) continue;
        lastTerminal.set(service.name, { key: write.key, item: write.item, weights: weightsOf(write.after.listeners, service) });
        const wrong = disagreement(status, write.item, weightsOf(write.after.listeners, service), weightsOf(started, service));
        if (wrong) {
          broken.push(
            `${service.name}: ${moment(write)}, record ${String(write.item.deploymentId)} was ${written} while production is at ${describe(weightsOf(write.after.listeners, service))} (${wrong})`,
          );
        }
        // SUCCEEDED says the new colour holds production healthy.
        const target = write.item.targetColour;
        const problems = status === 'SUCCEEDED' && statusChanged && isColour(target) ? unverified(service, target, write.after) : [];
        if (problems.length > 0 && isColour(target)) {
          broken.push(
            `${service.name}: ${moment(write)}, record ${String(write.item.deploymentId)} was written SUCCEEDED with ${target} (${service[target].serviceName}) not verified healthy: ${problems.join(', ')}`,
          );
        }
      } else if (TERMINAL.has(status)) {
        const entries = (write.item.services ?? {}) as Record<string, { deploymentId?: unknown }>;
        for (const [name, entry] of Object.entries(entries)) {
          const service = config.services.find((s) => s.name === name);
          if (!service) continue;
          const deployment = records.get(`DEPLOYMENT#${String(entry.deploymentId)}|RECORD`) ?? {};
          const weights = weightsOf(write.after.listeners, service);
          const wrong = disagreement(status, deployment, weights, weightsOf(started, service));
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

  // A listener write after the last record must not contradict it.
  for (const [name, { key, item, weights: written }] of lastTerminal) {
    const service = config.services.find((s) => s.name === name);
    if (!service) continue;
    const status = String(item.status);
    const weights = weightsOf(history.endListeners, service);
    // Unchanged since the record was written: checked then.
    if (sameWeights(weights, written)) continue;
    const wrong = disagreement(status, item, weights, weightsOf(startListeners.get(key) ?? start.listeners, service));
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
  const weights = weightsOf(write.after.listeners, service);
  const asFound = sameWeights(weights, weightsOf(start.listeners, service));
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

/** Why a colour is not verified healthy at this moment; empty when it is. */
function unverified(service: ServiceConfig, colour: Colour, at: AccountSnapshot): string[] {
  const targets = at.targets[service[colour].targetGroupArn] ?? { healthy: 0, unhealthy: 0 };
  const ecs = at.services[`${service.cluster}/${service[colour].serviceName}`];
  const problems: string[] = [];
  if (targets.healthy === 0) problems.push('no healthy target');
  if (targets.unhealthy > 0) problems.push(`${targets.unhealthy} unhealthy target${targets.unhealthy === 1 ? '' : 's'}`);
  if (!ecs) return [...problems, 'no ECS service'];
  if (ecs.desiredCount === 0 || ecs.running !== ecs.desiredCount)
    problems.push(`${ecs.running} of ${ecs.desiredCount} desired tasks running`);
  if (ecs.stale > 0) problems.push(`${ecs.stale} task${ecs.stale === 1 ? '' : 's'} of an earlier task definition still up`);
  return problems;
}

/** Rule c at one UpdateService to 0 tasks. */
function scaleDownBroken(
  service: ServiceConfig,
  colour: Colour,
  deployment: Item | undefined,
  write: AccountWrite,
  when: string,
): string[] {
  const weights = weightsOf(write.after.listeners, service);
  const name = `${colour} (${service[colour].serviceName})`;
  if (weights[colour] > 0)
    return [`${service.name}: ${when}, ${name} was scaled to 0 while it carries production traffic (${describe(weights)})`];
  if (deployment?.liveColour !== colour) return [];
  const other = otherColour(colour);
  const targets = write.after.targets[service[other].targetGroupArn] ?? { healthy: 0, unhealthy: 0 };
  const desired = write.after.services[`${service.cluster}/${service[other].serviceName}`]?.desiredCount ?? 0;
  const problems: string[] = [];
  if (targets.unhealthy > 0) problems.push(`${targets.unhealthy} unhealthy target${targets.unhealthy === 1 ? '' : 's'}`);
  if (targets.healthy < desired || desired === 0)
    problems.push(`${targets.healthy} healthy target${targets.healthy === 1 ? '' : 's'} of ${desired} desired`);
  for (const alarm of service.alarms) if (write.after.alarms[alarm] === 'ALARM') problems.push(`alarm ${alarm} in ALARM`);
  if (problems.length === 0) return [];
  return [
    `${service.name}: ${when}, the old colour ${name} was scaled to 0 while the new colour ${other} (${service[other].serviceName}) could not stand alone: ${problems.join(', ')}`,
  ];
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
    for (const colour of COLOURS) if (`${service.cluster}/${service[colour].serviceName}` === ecsService) return { service, colour };
  }
  return undefined;
}

function weightsOf(listeners: AccountSnapshot['listeners'], service: ServiceConfig): Weights {
  const forward = listeners[service.productionListenerArn] ?? {};
  return { blue: forward[service.blue.targetGroupArn] ?? 0, green: forward[service.green.targetGroupArn] ?? 0 };
}

function sameWeights(a: Weights, b: Weights): boolean {
  return a.blue === b.blue && a.green === b.green;
}

function describe(weights: Weights): string {
  return `blue ${weights.blue} / green ${weights.green}`;
}

function isColour(value: unknown): value is Colour {
  return value === 'blue' || value === 'green';
}

function otherColour(colour: Colour): Colour {
  return colour === 'blue' ? 'green' : 'blue';
}
