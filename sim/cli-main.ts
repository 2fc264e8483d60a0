/**
 * `npm run simulate`: runs a deployment of the real state machine against the
 * simulated account and prints one line per phase, a summary and (with
 * --json) one JSON object on the last line. Exit 0 when the pipeline did what
 * it should; 1 when an invariant broke; 2 for bad arguments.
 */

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deploymentPlanText } from '../cli/dry-run.ts';
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import { PlanSchema } from '../lambdas/shared/contract.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { jsonShapeProblems } from '../lambdas/shared/json-shape.ts';
import { formatOrder } from '../lambdas/shared/release.ts';
import { issueLines } from '../lambdas/shared/zod-format.ts';
import { ConfigError, loadConfig } from '../lib/config/load.ts';
import { AccountSchema } from './account/schema.ts';
import { readJson, UsageError, writableFile } from './cli-files.ts';
import { allStates, definitionFor, plainStateName } from './definition.ts';
import { FaultTargetError } from './faults/fault.ts';
import { FAULTS, isDenyFault, parseFault } from './faults/index.ts';
import { type Simulate, type SimulationResult, simulate } from './harness.ts';
import { checkInvariants } from './invariants.ts';
import { promoteOption, promotionLines } from './operator.ts';
import { modelWeights } from './production.ts';
import { writeReport } from './report.ts';
import { scalingLines } from './scaling-lines.ts';
import type { ProgressEvent } from './stepfunctions/execution.ts';

const HELP = `Usage: npm run simulate -- [options]

  --input '<json>'        execution input, as typed in the Step Functions console
                          (default: {"service":"web","imageTag":"v1.4.2"}, the config's
                          first service without a "web", or the
                          input of a --fault meant for a rollback); a release input
                          {"release": ..., "services": {...}} deploys several services
  --input-file <file>     the same, from a file (e.g. examples/three-services/release.json)
  --config <file>         pipeline config (default: the one the faults are meant for,
                          else baton.config.json)
  --account <file>        starting state of the simulated account (default: the one the faults
                          are meant for, else sim/accounts/example.json)
  --fault <name>[@<service>]
                          inject a fault; repeatable (see --list-faults); in a release,
                          aim it at one service, e.g. --fault green-unhealthy@worker
  --fault deny:<service>:<Action>[@<function>]
                          IAM drift: deny an action to one function's role (or to every
                          role), e.g. deny:elasticloadbalancing:ModifyListener@shiftTraffic
  --list-faults           describe every fault and exit
  --seed <integer>        the seed of the load balancer metrics' noise (default: the account's, or 1)
  --from-source           run the handlers' TypeScript instead of the deployed bundles
                          (for debugging; the bundles are what ships)
  --approve | --reject | --approval-timeout
                          what the operator does when the deployment waits for
                          approval (input "approval": true); default --approve
  --promote-after <seconds> [--promote-full]
                          the operator runs "baton promote" (--full) this many simulated
                          seconds into each traffic step that waits for promotion
                          ("pause": "approval"); without it nobody promotes
  --redrive-after-fix <fault>
                          inject a fixable fault; once the execution has failed, remove
                          the cause and redrive the execution (RedriveExecution)
  --abort-at <state>      stop the execution as it enters this Task or Wait state (StopExecution);
                          the backstop then rolls the deployment back (stopped before any
                          change, e.g. in Validate: REJECTED, "stopped in: Validate")
  --events <file>         write the execution event log as JSON lines
  --state-out <file>      write the account's final state (account file format)
  --report <file>         write the deployment's timeline as an HTML page (as "baton report")
  --json                  print a JSON summary as the last line of stdout
  --help                  this text
`;

function formatSeconds(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** One line per phase as it finishes: simulated time, state, result. */
function progressLine(event: ProgressEvent, main = 'deploy-1'): string | undefined {
  const who = event.execution === main ? '' : `  [${event.execution}]`;
  // A release's per-service states: "worker · Verify new colour".
  const state = event.service ? `${event.service} · ${plainStateName(event.state)}` : event.state;
  const at = `  ${formatSeconds(event.simulatedSeconds)}  ${state.padEnd(event.service ? 44 : 34)}`;
  if (event.type === 'Task' && event.kind === 'exited') return `${at}ok${who}`;
  if (event.type === 'Task' && event.kind === 'retried') return `${at}retrying after ${event.error ?? 'an error'}${who}`;
  if (event.type === 'Task' && event.kind === 'caught') return `${at}failed: ${event.error ?? 'error'}${who}`;
  if ((event.type === 'Succeed' || event.type === 'Fail') && event.kind === 'entered') {
    // Inside a release, a Succeed or Fail state ends one service's iteration, not the execution.
    if (event.service) return `${at}${event.type === 'Succeed' ? 'done' : 'failed'}${who}`;
    return `${at}${event.type === 'Succeed' ? 'SUCCEEDED' : 'FAILED'}${who}`;
  }
  return undefined;
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: CliIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** Runs the CLI; returns the exit code. Usage errors are reported here, other errors propagate. */
export async function runCli(argv: string[], io: CliIo = processIo, run: Simulate = simulate): Promise<number> {
  try {
    return await main(argv, io, run);
  } catch (error) {
    const refused = error instanceof UsageError || error instanceof ConfigError || error instanceof FaultTargetError;
    if (refused || (error instanceof TypeError && 'code' in error)) {
      io.err(`${error.message}\n\n${HELP}`);
      return 2;
    }
    throw error;
  }
}

async function main(argv: string[], io: CliIo, run: Simulate): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      'input-file': { type: 'string' },
      config: { type: 'string' },
      account: { type: 'string' },
      fault: { type: 'string', multiple: true, default: [] },
      'list-faults': { type: 'boolean', default: false },
      seed: { type: 'string' },
      'from-source': { type: 'boolean', default: false },
      approve: { type: 'boolean', default: false },
      reject: { type: 'boolean', default: false },
      'approval-timeout': { type: 'boolean', default: false },
      'abort-at': { type: 'string' },
      'promote-after': { type: 'string' },
      'promote-full': { type: 'boolean', default: false },
      'redrive-after-fix': { type: 'string' },
      events: { type: 'string' },
      'state-out': { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (values['list-faults']) {
    for (const [name, fault] of Object.entries(FAULTS)) io.out(`${name.padEnd(30)} ${fault.expected.padEnd(12)} ${fault.description}\n`);
    io.out(
      `${'deny:<action>[@<function>]'.padEnd(30)} ${'ROLLED_BACK'.padEnd(12)} IAM drift: the action is denied to that function's role (or every role); the call fails with AccessDeniedException, as AWS answers it.\n`,
    );
    return 0;
  }
  for (const option of ['events', 'state-out', 'report'] as const) writableFile(values[option], `--${option}`);
  for (const spec of values.fault) faultOf(spec, '--fault');
  const redrive = values['redrive-after-fix'];
  if (redrive !== undefined) {
    const fixable = Object.entries(FAULTS)
      .filter(([, fault]) => fault.fix)
      .map(([name]) => name);
    if (!faultOf(redrive, '--redrive-after-fix').fix)
      throw new UsageError(`--redrive-after-fix: "${redrive}" is not a fixable fault (fixable: ${fixable.join(', ')})`);
  }
  const faults = redrive === undefined ? values.fault : [...values.fault, redrive];
  const decisions = (['approve', 'reject', 'approval-timeout'] as const).filter((flag) => values[flag]);
  if (decisions.length > 1) throw new UsageError(`--${decisions.join(', --')}: choose one`);
  const approval = decisions[0] === 'reject' ? 'reject' : decisions[0] === 'approval-timeout' ? 'timeout' : 'approve';
  if (values.input && values['input-file']) throw new UsageError('--input and --input-file: give one, not both');
  // A fault meant for another kind of execution (a rollback) brings its own input.
  const faultInput = faults.map((spec) => faultOf(spec, '--fault').input).find((candidate) => candidate !== undefined);
  let input: unknown = faultInput;
  if (values.input) {
    try {
      input = JSON.parse(values.input);
    } catch (error) {
      throw new UsageError(`--input: not valid JSON (${(error as Error).message})`);
    }
  } else if (values['input-file']) {
    input = readJson(values['input-file'], '--input-file');
  }
  // Refused before anything runs: initialize would refuse it too, but deep nesting stalls the local interpreter first.
  const shape = input === undefined ? [] : jsonShapeProblems(input);
  if (shape.length > 0) throw new UsageError(`--input${values['input-file'] ? '-file' : ''}: ${shape.join('; ')}`);
  // A fault meant for another config (Fault.config) brings it, unless --config names one.
  const configFile = values.config ?? faults.map((spec) => faultOf(spec, '--fault').config).find(Boolean) ?? 'baton.config.json';
  const config = loadConfig(configFile);
  // No input: the config's "web" service, else its first one (examples/worker has only "jobs").
  input ??= { service: config.services.find((service) => service.name === 'web')?.name ?? config.services[0]?.name, imageTag: 'v1.4.2' };
  const asked = classifyInput(input);
  if (asked.kind === 'release') {
    const named = [...asked.images.keys()];
    for (const spec of faults.filter((fault) => !isDenyFault(fault))) {
      const target = spec.split('@')[1];
      if (target === undefined)
        throw new UsageError(
          `--fault ${spec}: a release deploys several services; aim the fault at one: ${spec}@${named[0] ?? '<service>'}`,
        );
    }
  }
  for (const spec of faults.filter((fault) => !isDenyFault(fault))) {
    const target = spec.split('@')[1];
    if (target !== undefined && !config.services.some((service) => service.name === target)) {
      throw new UsageError(
        `--fault ${spec}: "${target}" is not a service of ${configFile} (services: ${config.services.map((s) => s.name).join(', ')})`,
      );
    }
  }
  // A fault meant for another account (Fault.account) brings it, unless --account names one.
  const accountFile = values.account ?? faults.map((spec) => faultOf(spec, '--fault').account).find(Boolean) ?? 'sim/accounts/example.json';
  const accountParsed = AccountSchema.safeParse(readJson(accountFile, '--account'));
  if (!accountParsed.success)
    throw new UsageError(`--account ${accountFile}:\n  - ${issueLines(accountParsed.error, AccountSchema).join('\n  - ')}`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed ${values.seed}: an integer, e.g. --seed 7`);
  const account = seed === undefined ? accountParsed.data : { ...accountParsed.data, seed };

  const quiet = values.json;
  const onProgress = (event: ProgressEvent) => {
    if (quiet) return;
    const line = progressLine(event);
    if (line) io.out(`${line}\n`);
  };
  const abortAt = values['abort-at'];
  const definition = allStates((await definitionFor(config)).definition);
  const states = definition.map(([name]) => name);
  // The simulation stops an execution as it enters a Task or a Wait state; it cannot stop one inside a Choice, Pass, Map...
  const stoppable = definition.filter(([, state]) => state.Type === 'Task' || state.Type === 'Wait').map(([name]) => name);
  if (abortAt !== undefined && !states.includes(abortAt)) {
    throw new UsageError(`--abort-at: "${abortAt}" is not a state of the state machine (states: ${states.join(', ')})`);
  }
  if (abortAt !== undefined && !stoppable.includes(abortAt)) {
    const type = definition.find(([name]) => name === abortAt)?.[1].Type ?? 'unknown';
    throw new UsageError(
      `--abort-at: "${abortAt}" is a ${type} state, which the simulation cannot stop in; name a Task or Wait state (${stoppable.join(', ')})`,
    );
  }
  const promote = promoteOption(values['promote-after'], values['promote-full']);
  const result = await run({
    config,
    account,
    input,
    faults,
    onProgress,
    approval,
    ...(promote ? { promote } : {}),
    ...(abortAt ? { abortAt } : {}),
    ...(redrive !== undefined ? { redriveAfterFix: true } : {}),
    ...(values['from-source'] ? { code: 'source' as const } : {}),
  });
  const broken = checkInvariants(config, account, result);

  const release = asked.kind === 'release' ? releaseSummary(config, result) : undefined;
  const service = config.services.find((s) => s.name === asked.service) ?? config.services[0];
  const traffic = service ? modelWeights(result.model, service) : { blue: 0, green: 0 };
  const liveColor = traffic.blue === 100 ? 'blue' : traffic.green === 100 ? 'green' : 'split';
  const recordItem = result.model.table.get(`DEPLOYMENT#${result.main.name}|RECORD`);
  const record = release
    ? { status: release.status, reason: release.reason }
    : recordItem
      ? { status: recordItem.status, reason: recordItem.outcomeReason }
      : null;

  if (values.events) {
    writeFileSync(
      values.events,
      `${[result.main, ...result.others].flatMap((e) => e.events.map((event) => JSON.stringify({ execution: e.name, ...event }))).join('\n')}\n`,
    );
  }
  if (values['state-out']) writeFileSync(values['state-out'], `${JSON.stringify(result.model.toSpec(), null, 2)}\n`);
  const reported = values.report ? writeReport(values.report, result, definition) : undefined;

  // A dry run ends with its plan as the output (Dry run passed); the plan is what it is for.
  const dryRunPlan = release ? undefined : PlanSchema.safeParse(result.main.output).data;
  const summary = {
    status: result.main.status,
    input,
    executionPath: result.main.executionPath,
    transitions: result.main.transitions,
    redriveCount: result.main.redriveCount ?? 0,
    ...(result.main.redriveFrom ? { redriveFrom: result.main.redriveFrom } : {}),
    simulatedSeconds: result.simulatedSeconds,
    wallMs: result.wallMs,
    ...(release ? { release } : { traffic, liveColor }),
    record,
    ...(dryRunPlan ? { plan: dryRunPlan } : {}),
    error: result.main.error ?? null,
    cause: result.main.cause ?? null,
    otherExecutions: result.others.map((e) => ({ name: e.name, status: e.status, error: e.error ?? null, executionPath: e.executionPath })),
    backstop: result.backstop,
    lostStatusEvents: result.lostStatusEvents,
    sweeps: result.sweeps.map((sweep) => sweep.result),
    signalToRestoreSeconds: result.signalToRestoreSeconds ?? null,
    invariantsBroken: broken,
  };
  if (values.json) {
    io.out(`${JSON.stringify(summary)}\n`);
  } else {
    io.out(
      [
        '',
        `Execution ${result.main.status}${result.main.error ? ` (${result.main.error})` : ''} after ${formatSeconds(result.simulatedSeconds)} simulated (${result.wallMs} ms wall, ${result.main.transitions} transitions)`,
        ...(dryRunPlan ? ['', ...deploymentPlanText(dryRunPlan)] : []),
        ...(release ? releaseLines(release) : [`Traffic: blue ${traffic.blue} % / green ${traffic.green} %`]),
        ...scalingLines(result),
        ...(result.signalToRestoreSeconds !== undefined
          ? [`Bad signal to traffic restored: ${result.signalToRestoreSeconds} s simulated`]
          : []),
        `${release ? 'Release record' : 'Record'}: ${record ? `${String(record.status)}: ${String(record.reason)}` : 'none (dry run)'}`,
        ...promotionLines(result, recordItem),
        ...(reported ? [reported] : []),
        ...(result.main.redriveCount
          ? [`Redriven ${result.main.redriveCount} time(s) after the fix, at "${result.main.redriveFrom ?? '?'}"`]
          : []),
        ...result.others.map((e) => `Also ran ${e.name}: ${e.status}${e.error ? ` (${e.error})` : ''}`),
        // The rule delivers every end; an execution that succeeded with nothing queued needed nothing from the backstop.
        ...result.backstop
          .filter(
            (b) =>
              !(b.result as { reason?: unknown; queue?: unknown }).reason?.toString().startsWith('status SUCCEEDED') ||
              (b.result as { queue?: unknown }).queue,
          )
          .map((b) => `Backstop for ${b.execution}: ${JSON.stringify(b.result)}`),
        ...result.lostStatusEvents.map((name) => `Status-change event of ${name} lost: the backstop never heard of its end`),
        // A sweep that found every lock free and nothing queued did nothing.
        ...result.sweeps.filter((sweep) => !isQuietSweep(sweep.result)).map((sweep) => `Backstop sweep: ${JSON.stringify(sweep.result)}`),
        broken.length ? `INVARIANTS BROKEN:\n  - ${broken.join('\n  - ')}` : 'Invariants: all hold',
        '',
      ].join('\n'),
    );
  }
  return broken.length > 0 ? 1 : 0;
}

function isQuietSweep(result: unknown): boolean {
  return (
    Array.isArray(result) && result.every((service: { action?: unknown; queue?: unknown }) => service.action === 'free' && !service.queue)
  );
}

function faultOf(spec: string, option: string) {
  try {
    return parseFault(spec).fault;
  } catch (error) {
    if (isDenyFault(spec)) throw new UsageError(`${option}: ${error instanceof Error ? error.message : String(error)}`);
    throw new UsageError(
      `${option}: unknown fault "${spec}" (known: ${Object.keys(FAULTS).join(', ')}; aim one at a service with name@service)`,
    );
  }
}

interface ReleaseSummary {
  readonly status: unknown;
  readonly reason: unknown;
  readonly waves: unknown;
  readonly cause: unknown;
  readonly rolledBack: unknown;
  readonly untouched: unknown;
  readonly services: Record<string, { status: unknown; reason: unknown; traffic: { blue: number; green: number } }>;
}

/** The release record, and per service its record and where production traffic ended. */
function releaseSummary(config: BatonConfig, result: SimulationResult): ReleaseSummary {
  const item = result.model.table.get(`RELEASE#${result.main.name}|RECORD`) ?? {};
  const entries = (item.services ?? {}) as Record<string, { deploymentId?: string }>;
  const services: ReleaseSummary['services'] = {};
  for (const service of config.services) {
    const entry = entries[service.name];
    if (!entry) continue;
    const deployment = result.model.table.get(`DEPLOYMENT#${String(entry.deploymentId)}|RECORD`);
    services[service.name] = {
      status: deployment?.status ?? null,
      reason: deployment?.outcomeReason ?? null,
      traffic: modelWeights(result.model, service),
    };
  }
  return {
    status: item.status ?? null,
    reason: item.outcomeReason ?? null,
    waves: item.waves ?? [],
    cause: item.cause ?? null,
    rolledBack: item.rolledBack ?? [],
    untouched: item.untouched ?? [],
    services,
  };
}

function releaseLines(release: ReleaseSummary): string[] {
  const waves = Array.isArray(release.waves) ? formatOrder(release.waves as string[][]) : '';
  return [
    `Order: ${waves}`,
    ...Object.entries(release.services).map(
      ([name, service]) =>
        `  ${name.padEnd(10)} blue ${service.traffic.blue} % / green ${service.traffic.green} %   ${String(service.status)}`,
    ),
    ...(Array.isArray(release.rolledBack) && release.rolledBack.length > 0 ? [`Rolled back: ${release.rolledBack.join(' -> ')}`] : []),
    ...(Array.isArray(release.untouched) && release.untouched.length > 0 ? [`Untouched: ${release.untouched.join(', ')}`] : []),
  ];
}
