/**
 * IAM as the deployed stack has it: every call a function makes is evaluated
 * against the policies the template attaches to its role. Drift (an action
 * removed from a role) fails the way AWS fails it, and every permission the
 * template grants is one some run of the pipeline needs: remove any one and a
 * run here is denied.
 */

import { describe, expect, it } from 'vitest';
import { record, run, weights } from '../fixtures/simulation.ts';

describe('IAM drift', () => {
  it('ends ROLLED_BACK naming AccessDeniedException when shiftTraffic may no longer modify the listener', async () => {
    // Arrange / Act
    const result = await run({ faults: ['deny:elasticloadbalancing:ModifyListener@shiftTraffic'] });

    // Assert
    expect(result.main.error).toBe('AccessDeniedException');
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(String(record(result)?.outcomeReason)).toContain('AccessDeniedException');
    expect(String(record(result)?.outcomeReason)).toContain('elasticloadbalancing:ModifyListener');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    const denied = result.apis.calls.filter((call) => call.error === 'AccessDeniedException');
    expect(denied.map((call) => `${call.caller} ${call.operation}`)).toEqual(['shiftTraffic ModifyListener']);
  });

  it('refuses a deny fault naming a function the stack does not have, listing the functions', async () => {
    await expect(run({ faults: ['deny:ecs:UpdateService@shiftTrafic'] })).rejects.toThrow(
      /fault deny:ecs:UpdateService@shiftTrafic: no function "shiftTrafic" \(functions: initialize, validate, /,
    );
  });
});

describe('the permissions the template grants', () => {
  // Each is one the happy path needs: with it removed from its role, the deployment cannot succeed.
  it.each([
    'deny:ecs:RegisterTaskDefinition@prepare',
    'deny:iam:PassRole@prepare',
    'deny:ecs:UpdateService@deploy',
    'deny:ecs:DescribeServices@checkStability',
    'deny:elasticloadbalancing:DescribeTargetHealth@verify',
    'deny:cloudwatch:DescribeAlarms@checkBake',
    'deny:lambda:InvokeFunction',
  ])('%s: the deployment does not succeed and traffic ends on a healthy colour', async (fault) => {
    // Arrange / Act (run() checks the invariants)
    const result = await run({ faults: [fault] });

    // Assert
    expect(result.main.status).not.toBe('SUCCEEDED');
    expect(record(result)?.status ?? 'no record').not.toBe('SUCCEEDED');
  });
});
