/**
 * IAM as the deployed stack has it: every call a function makes is evaluated
 * against the policies the template attaches to its role. Drift (an action
 * removed from a role) fails the way AWS fails it, and every permission the
 * template grants is one some run of the pipeline needs: remove any one and a
 * run here is denied.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { exampleConfig, ROOT, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { record, run, weights } from '../support/simulation.ts';

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

  it('stops with a clear LockLostError naming the holder when checkStability may not read the lock it lost; traffic untouched', async () => {
    // Arrange / Act
    const result = await run({ faults: ['lock-lost', 'deny:dynamodb:GetItem@checkStability'] });

    // Assert: checkStability's read is denied as AWS denies it; the rollback reads the lock and touches nothing of the holder's.
    expect(
      result.apis.calls.filter((call) => call.error === 'AccessDeniedException').map((call) => `${call.caller} ${call.operation}`),
    ).toEqual(['checkStability GetItem']);
    expect(record(result)?.status).toBe('ROLLBACK_FAILED');
    expect(record(result)?.failedPhase).toBe('Check new colour stability');
    expect(String(record(result)?.outcomeReason)).toBe(
      'LockLostError: deployment deploy-1 lost its lock while in flight (deployment web-v1_4_3-intruder holds the lock of web); the rollback did not touch traffic. Check the listener weights of web.',
    );
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('denies publishing the outcome when complete may not use the topic key (KMSAccessDeniedException), the record still true', async () => {
    // Arrange / Act
    const result = await run({ faults: ['deny:kms:GenerateDataKey@complete'] });

    // Assert: the stack's topic is encrypted with its own key; the publish needs the key as well as sns:Publish.
    expect(result.apis.calls.filter((call) => call.error).map((call) => `${call.caller} ${call.operation} ${call.error}`)).toContain(
      'complete Publish KMSAccessDeniedException',
    );
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });

  it('rolls back every service of a release when shiftTraffic may no longer modify the listener (no @service needed)', async () => {
    // Arrange
    const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
    const account = AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));

    // Act
    const result = await run({
      config,
      account,
      input: JSON.parse(readFileSync(join(ROOT, 'examples', 'three-services', 'release.json'), 'utf8')) as unknown,
      faults: ['deny:elasticloadbalancing:ModifyListener@shiftTraffic'],
    });

    // Assert
    const release = result.model.table.get(`RELEASE#${result.main.name}|RECORD`);
    expect(release?.status).toBe('ROLLED_BACK');
    expect(String(release?.outcomeReason)).toContain('AccessDeniedException');
    for (const service of config.services) {
      expect(result.model.listeners[productionListenerOf(service)]?.forward).toEqual({
        [targetGroupOf(service.blue)]: 100,
        [targetGroupOf(service.green)]: 0,
      });
    }
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

describe('an app-config secret under a customer managed KMS key', () => {
  const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const withKey = (): BatonConfig => {
    const config = exampleConfig();
    return {
      ...config,
      services: config.services.map((service) =>
        service.appConfig ? { ...service, appConfig: { ...service.appConfig, kmsKeyArn: KEY } } : service,
      ),
    };
  };
  const encrypt = (ctx: { model: { secrets: Record<string, { kmsKeyId?: string }> }; service: BatonConfig['services'][number] }) => {
    const secret = ctx.service.appConfig ? ctx.model.secrets[ctx.service.appConfig.secretArn] : undefined;
    if (secret) secret.kmsKeyId = KEY;
  };

  it('is read with kms:Decrypt on exactly that key through Secrets Manager, and the deployment succeeds', async () => {
    // Arrange / Act
    const result = await run({ config: withKey(), setup: encrypt });

    // Assert
    expect(record(result)?.status).toBe('SUCCEEDED');
    const validateRole = result.functions.validate?.roleLogicalId;
    expect([...result.iam.exercised]).toContain(`${validateRole} kms:Decrypt`);
  });

  it('cannot be read once kms:Decrypt is taken from validate: REJECTED naming the denied action, nothing changed', async () => {
    // Arrange / Act
    const result = await run({ config: withKey(), setup: encrypt, faults: ['deny:kms:Decrypt@validate'] });

    // Assert
    expect(record(result)?.status).toBe('REJECTED');
    expect(String(record(result)?.outcomeReason)).toContain('kms:Decrypt');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });
});
