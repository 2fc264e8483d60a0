/**
 * The invariants of docs/architecture.md, checked against a simulated run: at every write
 * that can break them (write-invariants.ts), then against the account as the
 * run left it. Returns the broken ones in words; an empty list means all hold.
 */
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { TerminalStatusSchema } from '../lambdas/shared/contract.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { tableKey } from './account/model.ts';
import type { AccountSpec } from './account/schema.ts';
import { type AccountSnapshot, snapshotAccount } from './account/writes.ts';
import type { SimulationResult } from './harness.ts';
import { COLOURS, type DesiredCounts, ecsKey, type Forwards, listenerOf, weightsOf } from './production.ts';
import { checkWrites } from './write-invariants.ts';

const TERMINAL: ReadonlySet<string> = new Set(TerminalStatusSchema.options);

/** Every string value in the account file's secrets: none may appear anywhere outside the account. */
export function secretValues(account: Pick<AccountSpec, 'secretsManager'>): string[] {
  const values: string[] = [];
  for (const secret of Object.values(account.secretsManager.secrets)) {
    for (const version of secret.versions) {
      for (const value of Object.values(version.value)) {
        // Short values ("8", "info") would match innocent text; secrets worth leaking are long.
        if (typeof value === 'string' && value.length >= 8) values.push(value);
      }
    }
  }
  return values;
}

export function checkInvariants(config: BatonConfig, account: AccountSpec, result: SimulationResult): string[] {
  const { model } = result;
  const end = snapshotAccount(model);
  // 0. Traffic, records and scale-downs at every write of the run, in order (write-invariants.ts).
  const broken = checkWrites(config, {
    start: result.apis.start,
    writes: result.apis.writes,
    initialRecords: new Map(account.deploymentTable.map((item) => [tableKey(item), item])),
    end,
  });
  const initialListeners = Object.fromEntries(Object.entries(result.initialListeners).map(([arn, listener]) => [arn, listener.forward]));
  for (const service of config.services) {
    // 1. Production traffic only on a healthy colour, and never left split.
    broken.push(
      ...productionLeftBroken(service, end, { listeners: initialListeners, services: result.apis.start?.services ?? end.services }),
    );
    const lock = model.table.get(`LOCK#${service.name}|LOCK`);
    const executions = [result.main, ...result.others].map((e) => e.name);
    // 4. The lock is free after the run (unless it belonged to someone else to begin with), except after a failed
    //    rollback: then it stays with the deployment, so nothing else deploys until a human has looked.
    const holderRecord = lock ? model.table.get(`DEPLOYMENT#${String(lock.deploymentId)}|RECORD`) : undefined;
    const ours = lock && (executions.includes(String(lock.deploymentId)) || executions.includes(String(lock.release)));
    if (lock && ours && holderRecord?.status !== 'ROLLBACK_FAILED')
      broken.push(`${service.name}: lock still held by ${String(lock.deploymentId)}`);
    // A newer image is never lost: once the lock is free, nothing is left waiting in the service's queue.
    const queued = model.table.get(`QUEUE#${service.name}|QUEUE`);
    if (queued && !lock) {
      broken.push(`${service.name}: ${String(queued.imageRef)}, queued by ${String(queued.deploymentId)}, never started`);
    }
  }
  // 3. Every execution ends with a terminal record stating why.
  for (const execution of [result.main, ...result.others]) {
    const asked = classifyInput(execution.input);
    if (asked.kind === 'release' && asked.dryRun) {
      const written = [...model.table.keys()].filter(
        (key) =>
          key.startsWith(`RELEASE#${execution.name}|`) ||
          key.startsWith(`DEPLOYMENT#${execution.name}-`) ||
          key.startsWith(`DEPLOYMENT#${execution.name}|`),
      );
      if (written.length > 0) broken.push(`${execution.name}: a release dry run wrote ${written.join(', ')}`);
      continue;
    }
    if (asked.kind === 'release' || asked.kind === 'release-recovery') {
      broken.push(
        ...releaseRecordsBroken(model, asked.kind === 'release-recovery' ? (asked.recovers ?? '') : execution.name, execution.name),
      );
      continue;
    }
    // A recovery execution closes the record of the deployment it recovers; a refused one writes its own.
    const refused = model.table.has(`DEPLOYMENT#${execution.name}|RECORD`);
    const deploymentId = asked.kind === 'recovery' && !refused ? (asked.recovers ?? '') : execution.name;
    const record = model.table.get(`DEPLOYMENT#${deploymentId}|RECORD`);
    if (asked.dryRun) {
      if (record) broken.push(`${execution.name}: a dry run wrote a record`);
      continue;
    }
    if (!record) broken.push(`${execution.name}: no deployment record`);
    else if (!TERMINAL.has(String(record.status))) broken.push(`${execution.name}: record status ${String(record.status)} is not terminal`);
    else if (!record.outcomeReason) broken.push(`${execution.name}: record has no reason`);
  }
  // 5. No secret value in the payloads, the event log, the logs, the records, the events or the notifications.
  const exposed = JSON.stringify({
    events: [result.main, ...result.others].map((e) => e.events),
    outputs: [result.main, ...result.others].map((e) => [e.output, e.cause]),
    logs: result.logLines,
    table: [...model.table.values()],
    calls: result.apis.calls.filter((c) => c.service !== 'secretsmanager').map((c) => c.input),
    eventBridge: model.events,
    notifications: model.notifications,
    webhook: result.webhook,
  });
  // The account file's values, and the values as they ended (rotated by a fault, rewritten by the simulation).
  const values = new Set([...secretValues(account), ...secretValues({ secretsManager: { secrets: model.secrets } })]);
  for (const value of values) {
    if (exposed.includes(value)) broken.push(`a secret value of the account file appears outside the account (${value.slice(0, 4)}…)`);
  }
  // Every log line is JSON and names the deployment it belongs to (or the sweep it comes from).
  for (const line of result.logLines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      broken.push(`a log line is not JSON: ${line.slice(0, 80)}`);
      continue;
    }
    // The backstop's sweep and the signal function work for no one deployment: their lines name the event instead.
    const { deploymentId, sweep, event } = parsed as { deploymentId?: unknown; sweep?: unknown; event?: unknown };
    if (typeof deploymentId !== 'string' && typeof sweep !== 'string' && typeof event !== 'string') {
      broken.push(`a log line carries no deploymentId: ${line.slice(0, 120)}`);
    }
  }
  return broken;
}

/**
 * Rule 1 for one service as the run left it (`end`): production traffic only on a colour that can take it, and
 * never left split. Only traffic the pipeline moved counts (`before`: the listeners and desired counts as the run
 * started); a pre-existing split is the operator's (and is rejected). A worker's traffic is its tasks: weights from
 * desired counts, a colour with weight must run tasks.
 */
export function productionLeftBroken(
  service: ServiceConfig,
  end: AccountSnapshot,
  before: { listeners: Forwards; services: DesiredCounts },
): string[] {
  const broken: string[] = [];
  const weights = weightsOf(service, end.listeners, end.services);
  const started = weightsOf(service, before.listeners, before.services);
  for (const colour of COLOURS) {
    const weight = weights[colour];
    if (weight === 0 || weight === started[colour]) continue;
    const worker = service.kind === 'worker';
    const serves = worker
      ? (end.services[ecsKey(service, colour)]?.running ?? 0) > 0
      : (end.targets[service[colour].targetGroupArn ?? '']?.healthy ?? 0) > 0;
    if (!serves)
      broken.push(
        `${service.name}: ${weight} % of production traffic on ${colour}, which ${worker ? 'runs no task' : 'has no healthy target'}`,
      );
  }
  // A web listener split before over any of its target groups counts as the operator's.
  const web = listenerOf(service);
  const forwardBefore = web ? Object.values(before.listeners[web.listener] ?? {}) : [started.blue, started.green];
  const splitBefore = forwardBefore.filter((w) => w > 0).length > 1;
  if (weights.blue > 0 && weights.green > 0 && !splitBefore)
    broken.push(`${service.name}: production left split at blue ${weights.blue} / green ${weights.green}`);
  return broken;
}

/** A release ends with a terminal release record, and every service record it opened is terminal too. */
function releaseRecordsBroken(model: SimulationResult['model'], releaseId: string, execution: string): string[] {
  const record = model.table.get(`RELEASE#${releaseId}|RECORD`);
  if (!record) return [`${execution}: no release record`];
  const broken: string[] = [];
  if (!TERMINAL.has(String(record.status))) broken.push(`${execution}: release record status ${String(record.status)} is not terminal`);
  else if (!record.outcomeReason) broken.push(`${execution}: release record has no reason`);
  const services = (record.services ?? {}) as Record<string, { deploymentId?: unknown }>;
  for (const [name, entry] of Object.entries(services)) {
    const deployment = model.table.get(`DEPLOYMENT#${String(entry.deploymentId)}|RECORD`);
    // A release refused while taking its locks opened no service record.
    if (!deployment) continue;
    if (!TERMINAL.has(String(deployment.status)))
      broken.push(`${execution}: ${name} record status ${String(deployment.status)} is not terminal`);
    else if (!deployment.outcomeReason) broken.push(`${execution}: ${name} record has no reason`);
  }
  return broken;
}
