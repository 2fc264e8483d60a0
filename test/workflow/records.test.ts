/**
 * What a deployment leaves for people and tools: the phases in its record,
 * the EventBridge events, the SNS and chat notifications, the EMF metrics,
 * the lock's lease along the way, and the records the lock faults end with.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as clients from '../../lambdas/shared/clients.ts';
import { TerminalStatusSchema } from '../../lambdas/shared/contract.ts';
import { DeploymentEventDetailSchema, PhaseEventDetailSchema } from '../../lambdas/shared/telemetry/events.ts';
import type { PhaseRun } from '../../lambdas/shared/telemetry/phase-runs.ts';
import type { SimulationContext } from '../../sim/context.ts';
import { FAULTS } from '../../sim/faults/index.ts';
import { type OpenSimulation, openSimulation, type SimulationResult } from '../../sim/harness.ts';
import { type Run, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { exampleAccount, record, run, runWith, SMOKE_TEST, weights } from '../support/simulation.ts';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:deploy-1';
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const WEBHOOK_PATH = '/services/T0001/B0002/SIMSECRET-hook-4d2f9a';
const SUCCESS_REASON = 'v1.4.2 live on green (web-green) after a 300 s bake';
const BAKE_ALARM =
  'gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed: 3 datapoints were greater than the threshold (5.0).)';
const IMAGE_V141 =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86';
const PHASES = [
  'initialize',
  'validate',
  'prepare',
  'deploy',
  'checkStability',
  'verify',
  'smokeTest',
  'shiftTraffic',
  'checkBake',
  'complete',
];
/** The phase a state's handler records itself under (record.failedPhase names the state). */
const PHASE_OF_STATE: Record<string, string> = {
  Initialize: 'initialize',
  Validate: 'validate',
  'Prepare task definition': 'prepare',
  'Deploy new colour': 'deploy',
  'Check new colour stability': 'checkStability',
  'Verify new colour': 'verify',
  'Smoke test new colour': 'smokeTest',
  'Shift traffic': 'shiftTraffic',
  'Check bake': 'checkBake',
  'Check before retiring old colour': 'checkBake',
  'Complete deployment': 'complete',
};
const SUPERSEDED_PATH = ['Record rejection', 'Is the trigger redundant?', 'Older image superseded'];

/** 2026-11-23 (the simulated day) at `time` UTC. */
function at(time: string): string {
  return `2026-11-23T${time}.000Z`;
}

/** A phase that ran once and succeeded at `time`. */
function once(time: string): PhaseRun {
  return { startedAt: at(time), endedAt: at(time), invocations: 1, result: 'succeeded' };
}

function phasesOf(result: SimulationResult, execution = result.main.name): Record<string, PhaseRun> {
  return (record(result, execution)?.phases ?? {}) as Record<string, PhaseRun>;
}

/** [detail-type, phase, status] of every EventBridge event, in publishing order. */
function eventSummary(result: SimulationResult): Array<[string, unknown, unknown]> {
  return result.model.events.map((event) => [event.detailType, event.detail.phase, event.detail.status]);
}

/** The EMF lines of the run, parsed. */
function metricLines(result: SimulationResult): Array<Record<string, unknown>> {
  return result.logLines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Write calls to ECS and ELB: anything that is not a Describe. */
function ecsAndElbWrites(result: SimulationResult): string[] {
  return result.apis.calls
    .filter((call) => (call.service === 'ecs' || call.service === 'elb') && !call.operation.startsWith('Describe'))
    .map((call) => call.operation);
}

function times<T>(items: T[], count: number): T[] {
  return Array.from({ length: count }, () => items).flat();
}

/** A lock-holding phase's renewals: the check at its start (900 s), then the renewal for the wait ahead. */
function holding(state: string, secondsAhead: number): Array<[string, number, undefined]> {
  return [
    [state, 900, undefined],
    [state, secondsAhead, undefined],
  ];
}

/** The lease renewals: UpdateItem calls on the service lock. */
function leaseRenewals(result: SimulationResult) {
  return result.apis.calls
    .filter((call) => call.operation === 'UpdateItem' && (call.input as { Key?: { pk?: unknown } }).Key?.pk === 'LOCK#web')
    .map((call) => {
      const until = Number((call.input as { ExpressionAttributeValues?: Record<string, unknown> }).ExpressionAttributeValues?.[':until']);
      return { state: call.state, secondsAhead: until - call.at / 1000, error: call.error };
    });
}

beforeEach(() => {
  // The webhook URL is cached for 300 s in the process (Powertools Parameters), while every simulated run
  // starts its webhook server on a new port at the same simulated time: start each test without the cache
  // (see 'each simulated run posts to its own webhook server' below).
  clients.secretsProvider.clearCache();
});

describe('the phases in the record', () => {
  it('records every phase of a successful deployment with its first start, last end and invocations', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const deployment = record(result);
    expect(deployment?.status).toBe('SUCCEEDED');
    expect(Object.keys(phasesOf(result))).toEqual(PHASES);
    expect(deployment?.phases).toEqual({
      initialize: once('09:00:00'),
      validate: once('09:00:00'),
      prepare: once('09:00:00'),
      deploy: once('09:00:00'),
      // Four checks 15 s apart: the first after the first wait, the last finds the colour stable.
      checkStability: { startedAt: at('09:00:15'), endedAt: at('09:01:00'), invocations: 4, result: 'succeeded' },
      verify: once('09:01:00'),
      smokeTest: once('09:01:00'),
      shiftTraffic: once('09:01:00'),
      // Twenty checks 30 s apart: ten over the 300 s bake, ten over the 300 s scale-down delay.
      checkBake: { startedAt: at('09:01:30'), endedAt: at('09:11:00'), invocations: 20, result: 'succeeded' },
      // After the 300 s scale-down delay.
      complete: once('09:11:00'),
    });
  });

  it('records every attempt of a failing smoke test under smokeTest and announces only the last, FAILED', async () => {
    // Arrange / Act: the new colour answers the smoke test with HTTP 500, three attempts 10 s apart.
    const result = await run({ faults: ['smoke-fails'] });

    // Assert
    const deployment = record(result);
    const path = result.main.executionPath;
    expect(path.slice(path.indexOf('Verify new colour') + 1, path.indexOf('Roll back'))).toEqual([
      ...SMOKE_TEST,
      'Wait before retrying smoke test',
      ...SMOKE_TEST,
      'Wait before retrying smoke test',
      'Smoke test new colour',
      'Record smoke test',
      'Smoke test new colour failed',
    ]);
    expect(deployment).toMatchObject({ status: 'ROLLED_BACK', failedPhase: 'Smoke test new colour' });
    expect(String(deployment?.outcomeReason)).toMatch(
      /^SmokeTestFailedError: smoke test of green through the test listener failed: GET http:\/\/internal-prod-alb-1234567890\.eu-west-1\.elb\.amazonaws\.com:8080\/healthz -> 500 in \d+ ms /,
    );
    expect(phasesOf(result).smokeTest).toEqual({
      startedAt: at('09:01:00'),
      endedAt: at('09:01:20'),
      invocations: 3,
      result: 'failed',
      error: deployment?.outcomeReason,
    });
    expect(eventSummary(result).filter(([, phase]) => phase === 'smokeTest')).toEqual([['Baton Phase Changed', 'smokeTest', 'FAILED']]);
  });

  it.each(Object.keys(FAULTS))('%s: a terminal record whose phase entries add up, the failed phase named', async (name) => {
    // Arrange
    const fault = FAULTS[name];
    if (!fault) throw new Error(`no fault ${name}`);

    // Act
    const result = await run({ faults: [name], ...(fault.input ? { input: fault.input } : {}) });

    // Assert: every execution's record, duplicates and concurrent triggers included.
    const deployment = record(result);
    expect(TerminalStatusSchema.options).toContain(deployment?.status);
    expect(deployment?.status).toBe(fault.expected);
    // A recovery execution writes into the record of the deployment it recovers, not one of its own.
    for (const execution of [result.main, ...result.others].filter(({ name }) => !/-recovery-\d+$/.test(name))) {
      const entries = Object.entries(phasesOf(result, execution.name));
      expect(entries.length, execution.name).toBeGreaterThan(0);
      for (const [phase, entry] of entries) {
        expect(entry.startedAt <= entry.endedAt, `${execution.name} ${phase}: ${entry.startedAt} <= ${entry.endedAt}`).toBe(true);
        expect(entry.invocations, `${execution.name} ${phase}`).toBeGreaterThanOrEqual(1);
        expect(['succeeded', 'failed'], `${execution.name} ${phase}`).toContain(entry.result);
      }
    }
    const phases = phasesOf(result);
    const failed = Object.entries(phases).filter(([, entry]) => entry.result === 'failed');
    const failedPhase = deployment?.failedPhase as string | undefined;
    if (deployment?.status === 'ROLLED_BACK') expect(failedPhase).toBeDefined();
    if (failedPhase === undefined) {
      expect(failed).toEqual([]);
    } else if (failedPhase === 'Initialize') {
      // Initialize fails before the record exists: recordFailure writes the record and initialize's failed run into it.
      expect(Object.keys(phases).sort()).toEqual(['initialize', 'recordFailure']);
      expect(phases.initialize).toMatchObject({ result: 'failed', error: deployment?.outcomeReason, invocations: 1 });
    } else if (String(deployment?.outcomeReason).startsWith('LockLostError')) {
      // The lock went to another deployment: the rollback touches nothing and runs no tracked phase of its own.
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase]]);
    } else if (String(deployment?.outcomeReason).startsWith('ExecutionAborted')) {
      // Stopped as it entered the state: no phase failed; the backstop's recovery closed the record.
      expect(failed).toEqual([]);
      expect(phases.rollback?.result).toBe('succeeded');
    } else if (String(deployment?.outcomeReason).startsWith('Lambda.Unknown: Task timed out')) {
      // Lambda ended the phase's invocation at its timeout: the phase never recorded its failure; the rollback closed the record.
      expect(failed).toEqual([]);
      expect(phases.rollback?.result).toBe('succeeded');
    } else if (deployment?.status === 'ROLLBACK_FAILED') {
      // The phase that failed, then the rollback, whose error the reason states.
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase], 'rollback']);
      expect(deployment.outcomeReason).toContain(phases.rollback?.error);
    } else {
      expect(failed.map(([phase]) => phase)).toEqual([PHASE_OF_STATE[failedPhase]]);
      const error = failed[0]?.[1].error ?? '';
      expect(error).toBe(deployment?.outcomeReason);
      if (result.main.status === 'FAILED') expect(error.startsWith(`${result.main.error}: `)).toBe(true);
      const closing = deployment?.status === 'ROLLED_BACK' ? 'rollback' : 'recordFailure';
      expect(phases[closing]?.result).toBe('succeeded');
    }
  });
});

describe('EventBridge events', () => {
  it('publishes one event per finished phase and one for the outcome, all from source "baton" and in contract', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    expect(eventSummary(result)).toEqual([
      ['Baton Phase Changed', 'initialize', 'SUCCEEDED'],
      ['Baton Phase Changed', 'validate', 'SUCCEEDED'],
      ['Baton Phase Changed', 'prepare', 'SUCCEEDED'],
      ['Baton Phase Changed', 'deploy', 'SUCCEEDED'],
      ['Baton Phase Changed', 'checkStability', 'SUCCEEDED'],
      ['Baton Phase Changed', 'verify', 'SUCCEEDED'],
      ['Baton Phase Changed', 'smokeTest', 'SUCCEEDED'],
      ['Baton Phase Changed', 'shiftTraffic', 'SUCCEEDED'],
      ['Baton Phase Changed', 'checkBake', 'SUCCEEDED'],
      // complete announces the outcome while it runs; its own phase event follows.
      ['Baton Deployment Finished', undefined, 'SUCCEEDED'],
      ['Baton Phase Changed', 'complete', 'SUCCEEDED'],
    ]);
    expect(result.model.events.map((event) => [event.source, event.bus])).toEqual(Array(11).fill(['baton', 'default']));
    const phaseEvents = result.model.events.filter((event) => event.detailType === 'Baton Phase Changed');
    for (const event of phaseEvents) expect(PhaseEventDetailSchema.safeParse(event.detail).success, String(event.detail.phase)).toBe(true);
    expect(PhaseEventDetailSchema.parse(phaseEvents.find((event) => event.detail.phase === 'checkBake')?.detail)).toEqual({
      deploymentId: 'deploy-1',
      service: 'web',
      executionArn: EXECUTION_ARN,
      phase: 'checkBake',
      status: 'SUCCEEDED',
      startedAt: at('09:01:30'),
      endedAt: at('09:11:00'),
      durationSeconds: 570,
      invocations: 20,
    });
    const finished = result.model.events.find((event) => event.detailType === 'Baton Deployment Finished');
    expect(DeploymentEventDetailSchema.parse(finished?.detail)).toEqual({
      deploymentId: 'deploy-1',
      service: 'web',
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      image: 'v1.4.2',
      startedAt: at('09:00:00'),
      endedAt: at('09:11:00'),
      durationSeconds: 660,
      reason: SUCCESS_REASON,
      evidence: [],
      consoleUrl: CONSOLE_URL,
    });
  });

  it('publishes a FAILED checkBake event naming the gate error, then the rollback and a ROLLED_BACK outcome', async () => {
    // Arrange / Act
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    expect(eventSummary(result)).toEqual([
      ['Baton Phase Changed', 'initialize', 'SUCCEEDED'],
      ['Baton Phase Changed', 'validate', 'SUCCEEDED'],
      ['Baton Phase Changed', 'prepare', 'SUCCEEDED'],
      ['Baton Phase Changed', 'deploy', 'SUCCEEDED'],
      ['Baton Phase Changed', 'checkStability', 'SUCCEEDED'],
      ['Baton Phase Changed', 'verify', 'SUCCEEDED'],
      ['Baton Phase Changed', 'smokeTest', 'SUCCEEDED'],
      ['Baton Phase Changed', 'shiftTraffic', 'SUCCEEDED'],
      ['Baton Phase Changed', 'checkBake', 'FAILED'],
      ['Baton Deployment Finished', undefined, 'ROLLED_BACK'],
      ['Baton Phase Changed', 'rollback', 'SUCCEEDED'],
    ]);
    expect(result.model.events.every((event) => event.source === 'baton')).toBe(true);
    const bake = result.model.events.find((event) => event.detail.phase === 'checkBake');
    expect(PhaseEventDetailSchema.parse(bake?.detail)).toEqual({
      deploymentId: 'deploy-1',
      service: 'web',
      executionArn: EXECUTION_ARN,
      phase: 'checkBake',
      status: 'FAILED',
      startedAt: at('09:01:30'),
      endedAt: at('09:01:30'),
      durationSeconds: 0,
      invocations: 1,
      error: { name: 'GateFailedError', message: BAKE_ALARM },
    });
    const finished = result.model.events.find((event) => event.detailType === 'Baton Deployment Finished');
    expect(DeploymentEventDetailSchema.parse(finished?.detail)).toEqual({
      deploymentId: 'deploy-1',
      service: 'web',
      executionArn: EXECUTION_ARN,
      status: 'ROLLED_BACK',
      image: 'v1.4.2',
      startedAt: at('09:00:00'),
      endedAt: at('09:01:30'),
      durationSeconds: 90,
      reason: `GateFailedError: ${BAKE_ALARM}`,
      evidence: [
        'failed in: Check bake',
        `signal: GateFailedError: ${BAKE_ALARM}`,
        'rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
        'rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      ],
      consoleUrl: CONSOLE_URL,
    });
  });

  it('publishes a FAILED initialize event when initialize refuses the deployment, as for any failed phase', async () => {
    // Arrange / Act: the listener is split, so initialize refuses before it writes the record.
    const result = await run({ faults: ['listener-split'] });

    // Assert
    expect(record(result)).toMatchObject({ status: 'REJECTED', failedPhase: 'Initialize' });
    expect(eventSummary(result)).toEqual([
      ['Baton Phase Changed', 'initialize', 'FAILED'],
      ['Baton Deployment Finished', undefined, 'REJECTED'],
      ['Baton Phase Changed', 'recordFailure', 'SUCCEEDED'],
    ]);
  });
});

describe('SNS and chat notifications', () => {
  it('publishes one SNS message for a success and posts the same text to the chat webhook', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const message = [
      'web: SUCCEEDED',
      'image: v1.4.2',
      'deployment: deploy-1',
      `duration: 11 min 0 s (${at('09:00:00')} to ${at('09:11:00')})`,
      `reason: ${SUCCESS_REASON}`,
      `execution: ${CONSOLE_URL}`,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      { at: at('09:11:00'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 SUCCEEDED', message },
    ]);
    expect(result.webhook).toEqual([{ path: WEBHOOK_PATH, body: { text: message } }]);
  });

  it('states the outcome, the reason and the evidence of a rollback in both', async () => {
    // Arrange / Act
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    const message = [
      'web: ROLLED_BACK',
      'image: v1.4.2',
      'deployment: deploy-1',
      `duration: 1 min 30 s (${at('09:00:00')} to ${at('09:01:30')})`,
      `reason: GateFailedError: ${BAKE_ALARM}`,
      'evidence:',
      '  - failed in: Check bake',
      `  - signal: GateFailedError: ${BAKE_ALARM}`,
      '  - rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
      '  - rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      `execution: ${CONSOLE_URL}`,
    ].join('\n');
    expect(result.model.notifications).toEqual([
      { at: at('09:01:30'), topicArn: TOPIC_ARN, subject: 'Baton: web v1.4.2 ROLLED_BACK', message },
    ]);
    expect(result.webhook).toEqual([{ path: WEBHOOK_PATH, body: { text: message } }]);
  });

  it('each simulated run posts to its own webhook server, whatever ran before in the process', async () => {
    // Arrange: a first run caches the webhook URL (its server's port) for 300 simulated seconds.
    await run({ faults: ['image-missing'] });

    // Act: the second run starts again at 09:00:00 with a new server, and notifies at 09:01:30.
    const result = await run({ faults: ['alarm-during-bake'] });

    // Assert
    expect(result.logLines.filter((line) => line.includes('chat webhook unreachable'))).toEqual([]);
    expect(result.webhook.length).toBe(1);
  });
});

describe('EMF metrics', () => {
  it('emits the duration of every phase and one success with the deployment duration', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const metrics = metricLines(result);
    const phaseDurations = metrics.filter((line) => 'PhaseDuration' in line);
    expect(phaseDurations.map((line) => [line.phase, line.PhaseDuration])).toEqual([
      ['initialize', 0],
      ['validate', 0],
      ['prepare', 0],
      ['deploy', 0],
      ['checkStability', 45],
      ['verify', 0],
      ['smokeTest', 0],
      ['shiftTraffic', 0],
      ['checkBake', 570],
      ['complete', 0],
    ]);
    for (const line of phaseDurations) {
      expect(line).toMatchObject({
        _aws: {
          CloudWatchMetrics: [
            { Namespace: 'Baton', Dimensions: [['service', 'phase']], Metrics: [{ Name: 'PhaseDuration', Unit: 'Seconds' }] },
          ],
        },
        service: 'web',
        deploymentId: 'deploy-1',
      });
    }
    expect(metrics.filter((line) => 'DeploymentSucceeded' in line)).toEqual([
      {
        _aws: {
          Timestamp: Date.parse(at('09:11:00')),
          CloudWatchMetrics: [
            {
              Namespace: 'Baton',
              Dimensions: [['service']],
              Metrics: [
                { Name: 'DeploymentSucceeded', Unit: 'Count' },
                { Name: 'DeploymentDuration', Unit: 'Seconds' },
              ],
            },
          ],
        },
        deploymentId: 'deploy-1',
        service: 'web',
        DeploymentSucceeded: 1,
        DeploymentDuration: 660,
      },
    ]);
    expect(metrics.length).toBe(11);
  });
});

describe("the lock's lease", () => {
  it('renews the lease in every phase for 900 s plus the wait ahead of it', async () => {
    // Arrange / Act
    const result = await run();

    // Assert: the phases that change the service first check that they still hold the lock by renewing it for
    // 900 s; every phase renews it once done for 900 s plus the wait ahead. Complete released the lock before
    // its last renewal, which finds no lock of its own.
    const renewals = leaseRenewals(result);
    expect(renewals.map(({ state, secondsAhead, error }) => [state, secondsAhead, error])).toEqual([
      ['Initialize', 900, undefined],
      ['Validate', 900, undefined],
      ...holding('Prepare task definition', 900),
      ...holding('Deploy new colour', 915),
      ...times(holding('Check new colour stability', 915), 4),
      ...holding('Verify new colour', 915),
      ...holding('Record smoke test', 915),
      ...holding('Shift traffic', 930),
      ...times(holding('Check bake', 930), 10),
      ...times(holding('Check before retiring old colour', 930), 9),
      ...holding('Check before retiring old colour', 900),
      ['Complete deployment', 900, undefined],
      ['Complete deployment', 900, 'ConditionalCheckFailedException'],
    ]);
    expect(renewals.length).toBe(62);
    // Each renewal beyond 900 s is 900 s plus the `wait.seconds` of the output of the state that renewed it.
    const renewing = new Set(renewals.map((renewal) => renewal.state));
    const exits = result.main.events.flatMap((event) =>
      event.type === 'StateExited' && event.state && renewing.has(event.state.name)
        ? [[event.state.name, (event.state.output as { wait?: { seconds?: number } } | undefined)?.wait?.seconds ?? 0] as const]
        : [],
    );
    expect(renewals.filter((renewal) => renewal.secondsAhead !== 900).map((renewal) => [renewal.state, renewal.secondsAhead])).toEqual(
      exits.filter(([, wait]) => wait > 0).map(([state, wait]) => [state, 900 + wait]),
    );
  });

  it('holds the lock past every wait of the bake and of the scale-down delay', async () => {
    // Arrange: the lease as each wait starts and as each check after it starts.
    const margins: Array<[string, number]> = [];
    const result = await runWith({}, (ctx) => {
      ctx.onStateEntered.push((state) => {
        const watched = ['Wait during bake', 'Check bake', 'Wait before retiring old colour', 'Check before retiring old colour'];
        if (![...watched, 'Complete deployment'].includes(state)) return;
        const lease = Number(ctx.model.table.get('LOCK#web|LOCK')?.leaseExpiresAt);
        margins.push([state, lease - Math.floor(Date.now() / 1000)]);
      });
    });

    // Assert: 930 s left as each 30 s wait starts, 900 s left when the check after it runs, through the bake and the delay.
    expect(result.main.status).toBe('SUCCEEDED');
    expect(margins).toEqual([
      ...Array(10)
        .fill([
          ['Wait during bake', 930],
          ['Check bake', 900],
        ])
        .flat(),
      ...Array(10)
        .fill([
          ['Wait before retiring old colour', 930],
          ['Check before retiring old colour', 900],
        ])
        .flat(),
      ['Complete deployment', 900],
    ]);
  });
});

describe('records of the lock faults', () => {
  it('warns in the record whose stale lock it took over, and leaves the stale record as it was', async () => {
    // Arrange / Act
    const result = await run({ faults: ['stale-lock'] });

    // Assert
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(record(result)?.warnings).toEqual([
      'took over the lock of deployment web-v1_4_1-stale (image tag v1.4.1, since 2026-11-22T09:00:00.000Z, execution arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_1-stale): its execution no longer exists and its record is ROLLED_BACK',
    ]);
    expect(record(result, 'web-v1_4_1-stale')).toEqual({
      pk: 'DEPLOYMENT#web-v1_4_1-stale',
      sk: 'RECORD',
      gsi1pk: 'SERVICE#web',
      gsi1sk: '2026-11-22T09:00:00.000Z#web-v1_4_1-stale',
      deploymentId: 'web-v1_4_1-stale',
      service: 'web',
      status: 'ROLLED_BACK',
      executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_1-stale',
      startedAt: '2026-11-22T09:00:00.000Z',
      endedAt: '2026-11-22T09:06:40.000Z',
      trigger: 'ecr',
      outcomeReason: 'GateFailedError: alarm web-5xx is ALARM',
    });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
  });

  it('ends an image older than the live one SUPERSEDED in validate, changing nothing', async () => {
    // Arrange / Act
    const result = await run({ faults: ['older-image'] });

    // Assert
    const reason = `SupersededError: v1.4.2 (pushed 2026-09-15T08:00:00.000Z) is older than the image live on blue (${IMAGE_V141}, pushed 2026-11-01T08:40:00.000Z); releases do not go backwards by accident (use "baton rollback" to go back)`;
    expect(result.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Validate',
      'Validate failed',
      ...SUPERSEDED_PATH,
    ]);
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)).toMatchObject({ status: 'SUPERSEDED', failedPhase: 'Validate', outcomeReason: reason });
    expect(ecsAndElbWrites(result)).toEqual([]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.notifications.map((n) => [n.subject, n.message.split('\n')[0]])).toEqual([
      ['Baton: web v1.4.2 SUPERSEDED', 'web: SUPERSEDED'],
    ]);
    expect(result.model.notifications[0]?.message).toContain(`reason: ${reason}`);
  });

  it('ends an older image triggered while a newer one deploys SUPERSEDED in initialize; the newer one succeeds', async () => {
    // Arrange: v1.4.0 (pushed 2026-10-01) is triggered while deploy-1 deploys v1.4.2 (pushed 2026-11-23).
    const setup = (ctx: SimulationContext) =>
      ctx.triggers.push({ afterState: 'Deploy new colour', suffix: 'older', input: { service: 'web', imageTag: 'v1.4.0' } });

    // Act
    const result = await runWith({}, setup);

    // Assert
    const older = result.others.find((execution) => execution.name === 'deploy-1-older');
    expect(older?.status).toBe('SUCCEEDED');
    expect(older?.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      ...SUPERSEDED_PATH,
    ]);
    expect(record(result, 'deploy-1-older')).toMatchObject({
      status: 'SUPERSEDED',
      imageTag: 'v1.4.0',
      failedPhase: 'Initialize',
      outcomeReason: `SupersededError: image tag v1.4.0 (pushed 2026-10-01T08:40:00.000Z) is older than image tag v1.4.2 (pushed 2026-11-23T08:55:00.000Z), which deployment deploy-1 (image tag v1.4.2, since 2026-11-23T09:00:00.000Z, execution ${EXECUTION_ARN}) is deploying; releases do not go backwards by accident (use "baton rollback" to go back)`,
    });
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(result.model.notifications.map((n) => n.subject)).toEqual(['Baton: web v1.4.0 SUPERSEDED', 'Baton: web v1.4.2 SUCCEEDED']);
  });

  it('queues a concurrent newer image in initialize (QUEUED) and leaves the holder record whole', async () => {
    // Arrange / Act
    const result = await run({ faults: ['lock-held'] });

    // Assert
    const concurrent = result.others.find((execution) => execution.name === 'deploy-1-concurrent');
    expect(concurrent?.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      'Record rejection',
      'Is the trigger redundant?',
      'Newer image queued',
    ]);
    expect(record(result, 'deploy-1-concurrent')?.status).toBe('QUEUED');
    expect(record(result)?.warnings).toEqual([]);
    expect(Object.keys(phasesOf(result))).toEqual(PHASES);
  });
});

describe('baton history', () => {
  let open: OpenSimulation | undefined;

  afterEach(() => {
    open?.close();
    open = undefined;
  });

  function baton(...args: string[]): Promise<Run> {
    return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true });
  }

  it('lists a finished deployment with its phases (--json)', async () => {
    // Arrange
    open = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });
    const started = await baton('deploy', 'web', '--tag', 'v1.4.2', '--json');
    const { name } = JSON.parse(started.out) as { name: string };
    await open.simulation.settle();

    // Act
    const listed = await baton('history', 'web', '--json');

    // Assert
    expect(listed.code).toBe(0);
    const records = JSON.parse(listed.out) as Array<{ deploymentId: string; status: string; phases?: Record<string, PhaseRun> }>;
    expect(records.map((r) => [r.deploymentId, r.status])).toEqual([
      [name, 'SUCCEEDED'],
      ['web-v1_4_1-20261101T090000Z', 'SUCCEEDED'],
      ['web-v1_4_0-20261001T090000Z', 'SUCCEEDED'],
    ]);
    const phases = records[0]?.phases ?? {};
    expect(Object.keys(phases)).toEqual(PHASES);
    expect(Object.values(phases).map((phase) => phase.result)).toEqual(Array(10).fill('succeeded'));
    expect(phases.checkStability).toEqual({ startedAt: at('09:00:15'), endedAt: at('09:01:00'), invocations: 4, result: 'succeeded' });
    expect(phases.checkBake).toEqual({ startedAt: at('09:01:30'), endedAt: at('09:11:00'), invocations: 20, result: 'succeeded' });
  });
});
