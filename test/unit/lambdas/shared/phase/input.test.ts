/** What definePhase reads from its input: the payload its schema accepts, and the deployment it belongs to (deploymentOf). */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractViolationError, TransientAwsError } from '../../../../../lambdas/shared/errors.ts';
import { definePhase, deploymentOf } from '../../../../../lambdas/shared/phase.ts';
import { failure } from '../../../../support/aws.ts';
import { awsError, phaseMocks } from '../../../../support/phase.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, initialState, STARTED_AT, stateAfter } from '../../../../support/state.ts';

// The phases of d-1 and of this deployment are tracked in a mocked table and bus: nothing leaves the tests.
phaseMocks();

describe('definePhase', () => {
  const Schema = z.object({ deploymentId: z.string(), count: z.number().int() });

  it('rejects a payload out of contract with ContractViolationError naming the field', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count);

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 'three' }));

    // Assert
    expect(error).toBeInstanceOf(ContractViolationError);
    expect(error.message).toContain('deploy received a payload out of contract: count:');
  });

  it('passes the parsed payload to the phase and returns its result', async () => {
    // Arrange
    const handler = definePhase('deploy', Schema, async (input) => input.count * 2);

    // Act
    const result = await handler({ deploymentId: 'd-1', count: 3 });

    // Assert
    expect(result).toBe(6);
  });

  it('throws a transient failure of the phase as TransientAwsError', async () => {
    // Arrange
    const throttled = awsError('ThrottlingException', 'client', 400, 'Rate exceeded');
    const handler = definePhase('deploy', Schema, async () => {
      throw throttled;
    });

    // Act
    const error = await failure(handler({ deploymentId: 'd-1', count: 3 }));

    // Assert
    expect(error).toBeInstanceOf(TransientAwsError);
    expect(error.cause).toBe(throttled);
  });
});

describe('deploymentOf', () => {
  const ref = { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT, service: 'web', dryRun: false };

  it('reads a deployment state', () => {
    // Arrange
    const state = initialState();

    // Act
    const deployment = deploymentOf(state);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('reads the state of a { state } wrapper, the service from the request when the state has no service config', () => {
    // Arrange
    const input = {
      kind: 'rejected',
      state: { deploymentId: DEPLOYMENT_ID, executionArn: EXECUTION_ARN, startedAt: STARTED_AT, request: { service: 'web' } },
    };

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('reads the state of a { taskToken, state } wrapper', () => {
    // Arrange
    const input = { taskToken: 'AQCEAAAAKgAAAAMAAAAAAAAAAXsample-token', state: stateAfter('verify') };

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toEqual(ref);
  });

  it('marks a dry run', () => {
    // Arrange
    const state = initialState({ request: { ...initialState().request, dryRun: true } });

    // Act
    const deployment = deploymentOf(state);

    // Assert
    expect(deployment).toEqual({ ...ref, dryRun: true });
  });

  it.each([
    ['an EventBridge event', { 'detail-type': 'Step Functions Execution Status Change', detail: { name: 'x' } }],
    ['a deployment id that is not a string', { deploymentId: 42 }],
    ['a wrapper of something else', { state: 'web:v1.4.2' }],
    ['null', null],
    ['a string', 'web-20250304-100000-7f3a'],
  ])('finds no deployment in %s', (_case, input) => {
    // Arrange: the input of the row.

    // Act
    const deployment = deploymentOf(input);

    // Assert
    expect(deployment).toBeUndefined();
  });
});
