/**
 * Starting and steering deployments in the simulation: the approval gate, a
 * stopped execution and the backstop, and ECR push events as input.
 */
import { describe, expect, it } from 'vitest';
import { RELEASE_STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { definitionFor } from '../../sim/definition.ts';
import { exampleConfig } from '../support/config.ts';
import { REJECTED, record, run, SMOKE_TEST, weights } from '../support/simulation.ts';

const NEW_DIGEST = 'sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f';

/** An ECR push event as the ECR documentation shows it, for the example repository. */
function ecrPushEvent(overrides: { detail?: Record<string, unknown> } = {}) {
  return {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2026-11-23T08:59:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'web',
      'image-digest': NEW_DIGEST,
      'action-type': 'PUSH',
      'image-tag': 'v1.4.2',
      ...overrides.detail,
    },
  };
}

describe('the approval gate', () => {
  const input = { service: 'web', imageTag: 'v1.4.2', approval: true };

  it('waits after verify and shifts traffic once approved', async () => {
    // Act
    const result = await run({ input, approval: 'approve' });

    // Assert
    const path = result.main.executionPath;
    expect(path.slice(path.indexOf('Verify new colour'), path.indexOf('Verify new colour') + 7)).toEqual([
      'Verify new colour',
      ...SMOKE_TEST,
      'Is approval required?',
      'Wait for approval',
      'Shift traffic',
    ]);
    expect(result.main.status).toBe('SUCCEEDED');
    expect(String(record(result)?.approvalToken)).toBe('deploy-1.task-token');
  });

  it('rolls back with the reason when the approval is rejected', async () => {
    // Act
    const result = await run({ input, approval: 'reject' });

    // Assert
    expect(result.main.executionPath.slice(-5)).toEqual([
      'Wait for approval',
      'Wait for approval failed',
      'Roll back',
      'Is rollback done?',
      'Deployment rolled back',
    ]);
    expect(result.main.error).toBe('ApprovalRejected');
    expect(record(result)?.outcomeReason).toBe('ApprovalRejected: rejected by simulation-operator (--reject)');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('rolls back when nobody answers within the approval window', async () => {
    // Act
    const result = await run({ input, approval: 'timeout' });

    // Assert
    expect(result.main.error).toBe('States.HeartbeatTimeout');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(result.simulatedSeconds).toBeGreaterThanOrEqual(3600);
  });
});

const EXAMPLE_DEFINITION = (await definitionFor(exampleConfig())).definition;

describe('a stopped execution', () => {
  // The states a single deployment can enter (the release branch has its own tests).
  const releaseStates = new Set<string>(Object.values(RELEASE_STATE_NAMES));
  const states = Object.entries(EXAMPLE_DEFINITION.States)
    .filter(([name, state]) => (state.Type === 'Task' || state.Type === 'Wait') && !releaseStates.has(name))
    .map(([name]) => name)
    .filter(
      (name) =>
        ![
          'Load deployment for recovery',
          'Roll back',
          'Record rejection',
          'Record rollback failure',
          'Wait before retrying rollback',
          'Wait for approval',
          'Wait between traffic steps',
          'Wait before retrying smoke test',
          'Wait for old colour',
        ].includes(name),
    );

  it.each(states)('stopped as it enters "%s" ends with traffic on a healthy colour and a terminal record', async (state) => {
    // Act
    const result = await run({ abortAt: state });

    // Assert (the invariants, including the terminal record, are checked by run())
    expect(result.main.status).toBe('ABORTED');
    expect(['REJECTED', 'ROLLED_BACK']).toContain(record(result)?.status);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('stopped as it enters its rollback is rolled back by the recovery', async () => {
    // Act
    const result = await run({ faults: ['alarm-during-bake'], abortAt: 'Roll back' });

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(record(result)?.outcomeReason).toBe('ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('is rolled back by a recovery execution the backstop starts', async () => {
    // Act
    const result = await run({ abortAt: 'Check bake' });

    // Assert
    expect(result.backstop[0]).toEqual({ execution: 'deploy-1', result: { action: 'recovery-started', execution: 'deploy-1-recovery-1' } });
    expect(result.others[0]?.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Load deployment for recovery',
      'Anything to roll back?',
      'Roll back',
      'Is rollback done?',
      'Deployment rolled back',
    ]);
    expect(record(result)?.outcomeReason).toBe('ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)');
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
  });

  it('stopped during its rollback is finished by the recovery, old colour scaled up first', async () => {
    // Act
    const result = await run({ faults: ['old-colour-scaled-down'], abortAt: 'Wait for old colour' });

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(3);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});

describe("the backstop's sweep (status-change events are delivered best effort)", () => {
  it('closes a stopped deployment whose status-change event was lost: the sweep, not an event, starts the recovery, traffic back on the old colour', async () => {
    // Act
    const result = await run({ faults: ['status-event-lost'] });

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(result.lostStatusEvents).toEqual(['deploy-1']);
    // The backstop heard of the recovery's end only (a rollback ends its execution FAILED, in "Deployment rolled back").
    expect(result.backstop).toEqual([
      { execution: 'deploy-1-recovery-1', result: { action: 'none', reason: 'deployment deploy-1 already ended ROLLED_BACK' } },
    ]);
    expect(result.sweeps.map((sweep) => sweep.result)).toEqual([
      [
        {
          service: 'web',
          action: 'ended',
          holder: 'deploy-1',
          status: 'ABORTED',
          result: { action: 'recovery-started', execution: 'deploy-1-recovery-1' },
        },
      ],
      // After the recovery ended: nothing open, nothing queued.
      [{ service: 'web', action: 'free' }],
    ]);
    expect(result.others.map((execution) => [execution.name, execution.executionPath.at(-1)])).toEqual([
      ['deploy-1-recovery-1', 'Deployment rolled back'],
    ]);
    expect(record(result)).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason: 'ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)',
    });
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(result.model.table.get('LOCK#web|LOCK')).toBeUndefined();
  });

  it('finds nothing after a deployment whose events arrived: one sweep, the lock free, nothing started', async () => {
    // Act
    const result = await run();

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.lostStatusEvents).toEqual([]);
    expect(result.sweeps.map((sweep) => sweep.result)).toEqual([[{ service: 'web', action: 'free' }]]);
    expect(result.others).toEqual([]);
  });
});

describe('an ECR push event as input', () => {
  it('deploys the pushed digest', async () => {
    // Act
    const result = await run({ input: ecrPushEvent() });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(record(result)).toMatchObject({ trigger: 'ecr', imageDigest: NEW_DIGEST, imageTag: 'v1.4.2' });
  });

  it('rejects a failed push naming the field and changes nothing', async () => {
    // Act
    const result = await run({ input: ecrPushEvent({ detail: { result: 'FAILURE' } }) });

    // Assert
    expect(result.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      ...REJECTED,
    ]);
    expect(result.main.cause).toBe('invalid ECR event: detail.result: only successful pushes start a deployment');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('rejects a push to a repository no service deploys', async () => {
    // Act
    const result = await run({ input: ecrPushEvent({ detail: { 'repository-name': 'billing' } }) });

    // Assert
    expect(result.main.cause).toBe(
      'invalid ECR event: detail.repository-name: no service deploys billing:v1.4.2 (check ecr.repositoryName and ecr.tagPatterns)',
    );
  });

  it('ends a second delivery of the same push DUPLICATE after the first deployed it', async () => {
    // Arrange
    const first = await run({ input: ecrPushEvent() });
    const account = first.model.toSpec();

    // Act
    const second = await run({ input: ecrPushEvent(), account: account as never, executionName: 'deploy-2' });

    // Assert
    expect(second.main.executionPath.slice(-3)).toEqual(['Record rejection', 'Is the trigger redundant?', 'Duplicate trigger ignored']);
    expect(record(second)?.status).toBe('DUPLICATE');
    expect(weights(second)).toEqual({ blue: 0, green: 100 });
  });
});
