/**
 * The records the lock faults end with: a stale lock taken over, older images superseded, a newer one queued.
 * run() and runWith() check the invariants of docs/architecture.md after every run.
 */
import { describe, expect, it } from 'vitest';
import type { SimulationContext } from '../../../sim/context.ts';
import type { SimulationResult } from '../../../sim/harness.ts';
import { EXECUTION_ARN, PHASES, phasesOf } from '../../support/records.ts';
import { record, run, runWith, weights } from '../../support/simulation.ts';

const IMAGE_V141 =
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86';

const SUPERSEDED_PATH = ['Record rejection', 'Is the trigger redundant?', 'Older image superseded'];

/** Write calls to ECS and ELB: anything that is not a Describe. */
function ecsAndElbWrites(result: SimulationResult): string[] {
  return result.apis.calls
    .filter((call) => (call.service === 'ecs' || call.service === 'elb') && !call.operation.startsWith('Describe'))
    .map((call) => call.operation);
}

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
    expect(result.model.notifications.map((n) => n.subject)).toEqual([
      'Baton: web v1.4.2 deploying (all-at-once)',
      'Baton: web v1.4.0 SUPERSEDED',
      'Baton: web v1.4.2 SUCCEEDED',
    ]);
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
