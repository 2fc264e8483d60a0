/**
 * The EventBridge events of a deployment: one per finished phase and one for the outcome.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import { DeploymentEventDetailSchema, PhaseEventDetailSchema } from '../../../lambdas/shared/telemetry/events.ts';
import { at, BAKE_ALARM, CONSOLE_URL, EXECUTION_ARN, eventSummary, SUCCESS_REASON } from '../../support/records.ts';
import { record, run } from '../../support/simulation.ts';

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
      // One invocation watching the 300 s bake, one the 300 s scale-down delay.
      startedAt: at('09:00:45.250'),
      endedAt: at('09:10:45.225'),
      durationSeconds: 600,
      invocations: 2,
    });
    const finished = result.model.events.find((event) => event.detailType === 'Baton Deployment Finished');
    expect(DeploymentEventDetailSchema.parse(finished?.detail)).toEqual({
      deploymentId: 'deploy-1',
      service: 'web',
      executionArn: EXECUTION_ARN,
      status: 'SUCCEEDED',
      image: 'v1.4.2',
      startedAt: at('09:00:00'),
      endedAt: at('09:10:45.250'),
      durationSeconds: 645,
      reason: SUCCESS_REASON,
      evidence: [],
      consoleUrl: CONSOLE_URL,
      trigger: 'console',
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
      // The alarm enters ALARM 60 s after its metric breached as the bake began: the gate check 60 s into the one
      // invocation sees it (milliseconds after it fired, before its event is delivered).
      startedAt: at('09:00:45.250'),
      endedAt: at('09:01:45.250'),
      durationSeconds: 60,
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
      endedAt: at('09:01:45.275'),
      durationSeconds: 105,
      reason: `GateFailedError: ${BAKE_ALARM}`,
      evidence: [
        'failed in: Check bake',
        `signal: GateFailedError: ${BAKE_ALARM}`,
        'rollback: traffic moved from blue 0 % / green 100 % back to 100 % blue',
        'rollback: web-green scaled to 0 on arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6',
      ],
      consoleUrl: CONSOLE_URL,
      trigger: 'console',
      links: [
        {
          label: 'alarm web-5xx-rate',
          url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate',
        },
      ],
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
