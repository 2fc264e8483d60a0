/**
 * The phase roles as IAM evaluates them: each synthesized role policy, its
 * ARNs resolved for the example account, is asked about the exact requests
 * the handlers send (action, resource ARN, context keys) with
 * @cloud-copilot/iam-simulate. One synthesis (without bundling).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BatonConfig, BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { LOCK_HOLDING_PHASES } from '../../lambdas/shared/phase.ts';
import { entryOf } from '../../lib/constructs/phase-entry.ts';
import { PHASE_NAMES, type PhaseName } from '../../lib/constructs/phases.ts';
import { exampleConfig, rawExampleConfig } from '../support/config.ts';
import { type Decision, decide, decideUnlisted, defaultKeyPolicy, rolePolicy, tableArn } from '../support/role-policy.ts';
import { type Synthesis, synth } from '../support/synth.ts';

/**
 * The phases whose code can read the lock item (GetItem on LOCK#<service>): the
 * lock-holding phases, whose wrapper reads the lock when the lease renewal
 * fails (assertLockHeld), and the handlers that read or take it themselves.
 */
function phasesReadingTheLock(): PhaseName[] {
  const ownCalls = /\b(readLock|acquireLock|takeLock|assertLockHeld)\(/;
  return PHASE_NAMES.filter((phase) => LOCK_HOLDING_PHASES.has(phase) || ownCalls.test(readFileSync(entryOf(phase), 'utf8')));
}

describe('the phase roles as IAM evaluates them', () => {
  let config: BatonConfig;
  let synthesis: Synthesis;
  const decision = (phase: PhaseName, action: string, resource: string, context?: Record<string, string | string[]>): Promise<Decision> =>
    decide(rolePolicy(synthesis, config, phase), { action, resource, ...(context ? { context } : {}) }, config.pipeline.account);

  beforeAll(() => {
    config = exampleConfig();
    synthesis = synth(config);
  });

  describe('the lock', () => {
    it('counts the lock-holding phases and the handlers that take or read the lock themselves', () => {
      expect(phasesReadingTheLock().sort()).toEqual(
        [
          'initialize',
          'prepare',
          'deploy',
          'checkStability',
          'verify',
          'recordSmokeTest',
          'requestApproval',
          'shiftTraffic',
          'checkBake',
          'complete',
          'rollback',
          'planRelease',
          'shiftTogether',
        ].sort(),
      );
    });

    it.each(phasesReadingTheLock())('lets %s GetItem the lock item of its service in the deployment table', async (phase) => {
      // Act
      const result = await decision(phase, 'dynamodb:GetItem', tableArn(config), { 'dynamodb:LeadingKeys': ['LOCK#web'] });

      // Assert
      expect(result).toBe('Allowed');
    });

    it.each(['prepare', 'deploy', 'checkStability', 'verify', 'recordSmokeTest', 'requestApproval', 'shiftTraffic', 'checkBake'] as const)(
      'lets %s read lock items only, not deployment records',
      async (phase) => {
        // Act
        const result = await decision(phase, 'dynamodb:GetItem', tableArn(config), { 'dynamodb:LeadingKeys': ['DEPLOYMENT#deploy-1'] });

        // Assert
        expect(result).toBe('ImplicitlyDenied');
      },
    );
  });

  describe('the ECS services', () => {
    const ACCOUNT_REGION = 'arn:aws:ecs:eu-west-1:123456789012';
    /** The phases that read the services, and those that update them. */
    const READERS: PhaseName[] = ['validate', 'checkStability', 'verify', 'shiftTraffic', 'checkBake', 'rollback', 'shiftTogether'];
    const UPDATERS: PhaseName[] = ['deploy', 'complete', 'rollback'];
    const cases = (phases: PhaseName[], action: string) =>
      phases.flatMap((phase) => ['web-blue', 'web-green'].map((name) => [phase, action, name] as const));

    it.each([...cases(READERS, 'ecs:DescribeServices'), ...cases(UPDATERS, 'ecs:UpdateService')])(
      'lets %s %s on %s by its long ARN (service/<cluster>/<name>)',
      async (phase, action, name) => {
        // Act
        const result = await decision(phase, action, `${ACCOUNT_REGION}:service/prod/${name}`);

        // Assert
        expect(result).toBe('Allowed');
      },
    );

    it.each([...cases(READERS, 'ecs:DescribeServices'), ...cases(UPDATERS, 'ecs:UpdateService')])(
      'lets %s %s on %s by the short ARN of a service created before the long format (service/<name>)',
      (phase, action, name) => {
        // Act
        const result = decideUnlisted(
          rolePolicy(synthesis, config, phase),
          { action, resource: `${ACCOUNT_REGION}:service/${name}` },
          config.pipeline.account,
        );

        // Assert
        expect(result).toBe('Allowed');
      },
    );

    it.each([
      ['a service of another cluster', `${ACCOUNT_REGION}:service/staging/web-blue`],
      ['another service', `${ACCOUNT_REGION}:service/prod/billing`],
      ['another service by its short ARN', `${ACCOUNT_REGION}:service/billing`],
    ])('lets deploy update no other service: %s', (_case, resource) => {
      // Act
      const result = decideUnlisted(
        rolePolicy(synthesis, config, 'deploy'),
        { action: 'ecs:UpdateService', resource },
        config.pipeline.account,
      );

      // Assert
      expect(result).toBe('ImplicitlyDenied');
    });
  });

  describe('an app-config secret encrypted with a customer managed key', () => {
    const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const VIA_SECRETS_MANAGER = { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' };
    let withKey: BatonConfig;
    let keyed: Synthesis;

    beforeAll(() => {
      const raw = rawExampleConfig() as { services: Array<{ appConfig: Record<string, unknown> }> };
      const [web] = raw.services;
      if (!web) throw new Error('the example config has no service');
      web.appConfig.kmsKeyArn = KEY_ARN;
      withKey = BatonConfigSchema.parse(raw);
      keyed = synth(withKey);
    });

    const decryptDecision = (phase: PhaseName, resource: string, context: Record<string, string>) =>
      decide(
        rolePolicy(keyed, withKey, phase),
        { action: 'kms:Decrypt', resource, context, resourcePolicy: defaultKeyPolicy(withKey.pipeline.account) },
        withKey.pipeline.account,
      );

    it('lets validate, which reads the secret, decrypt with that key through Secrets Manager', async () => {
      expect(await decryptDecision('validate', KEY_ARN, VIA_SECRETS_MANAGER)).toBe('Allowed');
    });

    it('lets validate decrypt with that key through no other service', async () => {
      expect(await decryptDecision('validate', KEY_ARN, { 'kms:ViaService': 'ssm.eu-west-1.amazonaws.com' })).toBe('ImplicitlyDenied');
    });

    it('lets validate decrypt with no other key', async () => {
      const other = 'arn:aws:kms:eu-west-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666';
      expect(await decryptDecision('validate', other, VIA_SECRETS_MANAGER)).toBe('ImplicitlyDenied');
    });

    it.each(PHASE_NAMES.filter((phase) => phase !== 'validate'))(
      'lets %s, which does not read the secret, not decrypt with it',
      async (phase) => {
        expect(await decryptDecision(phase, KEY_ARN, VIA_SECRETS_MANAGER)).toBe('ImplicitlyDenied');
      },
    );

    it('grants kms:Decrypt to no role of the example, whose secret uses the AWS managed key', async () => {
      const decisions = await Promise.all(
        PHASE_NAMES.map((phase) =>
          decide(
            rolePolicy(synthesis, config, phase),
            {
              action: 'kms:Decrypt',
              resource: KEY_ARN,
              context: VIA_SECRETS_MANAGER,
              resourcePolicy: defaultKeyPolicy(config.pipeline.account),
            },
            config.pipeline.account,
          ),
        ),
      );
      expect(decisions.filter((result) => result !== 'ImplicitlyDenied')).toEqual([]);
    });
  });
});
