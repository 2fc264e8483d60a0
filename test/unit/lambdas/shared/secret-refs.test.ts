import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { parseValueFrom, pinnedValueFrom, secretRefs, versionsOf } from '../../../../lambdas/shared/secret-refs.ts';
import { SECRET_VERSION_ID } from '../../../support/state.ts';

const APP_CONFIG_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
const STRIPE_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/stripe-Qw12Er';
const PARAMETER_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/web/feature-flags';
const OLD_VERSION_ID = 'b0a710ad-5678-4def-8abc-ba9876543210';

function container(secrets: ContainerDefinition['secrets']): ContainerDefinition {
  return { name: 'web', image: 'web:latest', ...(secrets ? { secrets } : {}) };
}

describe('parseValueFrom', () => {
  it('reads a full secret ARN alone as the whole secret at no version', () => {
    expect(parseValueFrom(APP_CONFIG_ARN)).toEqual({ arn: APP_CONFIG_ARN });
  });

  it('reads the JSON key and the version id after the ARN', () => {
    expect(parseValueFrom(`${APP_CONFIG_ARN}:DATABASE_URL::${SECRET_VERSION_ID}`)).toEqual({
      arn: APP_CONFIG_ARN,
      jsonKey: 'DATABASE_URL',
      versionId: SECRET_VERSION_ID,
    });
  });

  it('reads a JSON key without a version id as no version', () => {
    expect(parseValueFrom(`${APP_CONFIG_ARN}:DATABASE_URL::`)).toEqual({ arn: APP_CONFIG_ARN, jsonKey: 'DATABASE_URL' });
  });

  it('takes a version stage for no version id', () => {
    expect(parseValueFrom(`${APP_CONFIG_ARN}:DATABASE_URL:AWSPREVIOUS:`)).toEqual({ arn: APP_CONFIG_ARN, jsonKey: 'DATABASE_URL' });
  });

  it.each([
    ['an SSM parameter ARN', PARAMETER_ARN],
    ['a secret name that is not an ARN', 'web/app-config'],
    ['an ARN cut short before the secret name', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret'],
  ])('ignores %s', (_case, valueFrom) => {
    expect(parseValueFrom(valueFrom)).toBeUndefined();
  });
});

describe('pinnedValueFrom', () => {
  it('names one JSON key at one version id, with no version stage', () => {
    // Arrange
    const pin = { arn: APP_CONFIG_ARN, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL'] };

    // Act
    const valueFrom = pinnedValueFrom(pin, 'DATABASE_URL');

    // Assert
    expect(valueFrom).toBe(`${APP_CONFIG_ARN}:DATABASE_URL::${SECRET_VERSION_ID}`);
    expect(parseValueFrom(valueFrom)).toEqual({ arn: APP_CONFIG_ARN, jsonKey: 'DATABASE_URL', versionId: SECRET_VERSION_ID });
  });
});

describe('secretRefs', () => {
  it('groups the keys by secret and version, keys sorted, and leaves SSM parameters out', () => {
    // Arrange
    const web = container([
      { name: 'SESSION_SECRET', valueFrom: `${APP_CONFIG_ARN}:SESSION_SECRET::${SECRET_VERSION_ID}` },
      { name: 'STRIPE_KEY', valueFrom: STRIPE_ARN },
      { name: 'FEATURE_FLAGS', valueFrom: PARAMETER_ARN },
      { name: 'DATABASE_URL', valueFrom: `${APP_CONFIG_ARN}:DATABASE_URL::${SECRET_VERSION_ID}` },
      { name: 'LOG_LEVEL', valueFrom: `${APP_CONFIG_ARN}:LOG_LEVEL::${OLD_VERSION_ID}` },
      { name: 'WORKER_CONCURRENCY', valueFrom: `${APP_CONFIG_ARN}:WORKER_CONCURRENCY::` },
    ]);

    // Act
    const refs = secretRefs(web);

    // Assert
    expect(refs).toEqual([
      { arn: APP_CONFIG_ARN, keys: ['WORKER_CONCURRENCY'] },
      { arn: APP_CONFIG_ARN, versionId: OLD_VERSION_ID, keys: ['LOG_LEVEL'] },
      { arn: APP_CONFIG_ARN, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL', 'SESSION_SECRET'] },
      { arn: STRIPE_ARN, keys: ['STRIPE_KEY'] },
    ]);
  });

  it('sorts by secret ARN first, whatever order the container lists them in', () => {
    // Arrange
    const web = container([
      { name: 'STRIPE_KEY', valueFrom: `${STRIPE_ARN}:key::20260202-0000-4000-8000-000000000002` },
      { name: 'DATABASE_URL', valueFrom: `${APP_CONFIG_ARN}:DATABASE_URL::20260909-0000-4000-8000-000000000009` },
    ]);

    // Act
    const refs = secretRefs(web);

    // Assert
    expect(refs).toEqual([
      { arn: APP_CONFIG_ARN, versionId: '20260909-0000-4000-8000-000000000009', keys: ['DATABASE_URL'] },
      { arn: STRIPE_ARN, versionId: '20260202-0000-4000-8000-000000000002', keys: ['STRIPE_KEY'] },
    ]);
  });

  it('finds nothing in a container without secrets', () => {
    expect(secretRefs(container(undefined))).toEqual([]);
  });
});

describe('versionsOf', () => {
  it('lists the distinct version ids of one secret, sorted, skipping references without a version', () => {
    // Arrange
    const refs = [
      { arn: APP_CONFIG_ARN, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL'] },
      { arn: APP_CONFIG_ARN, keys: ['WORKER_CONCURRENCY'] },
      { arn: APP_CONFIG_ARN, versionId: OLD_VERSION_ID, keys: ['LOG_LEVEL'] },
      { arn: STRIPE_ARN, versionId: '20260202-0000-4000-8000-000000000002', keys: ['STRIPE_KEY'] },
    ];

    // Act
    const versions = versionsOf(refs, APP_CONFIG_ARN);

    // Assert
    expect(versions).toEqual([OLD_VERSION_ID, SECRET_VERSION_ID]);
  });

  it('lists nothing for a secret the release does not reference', () => {
    expect(
      versionsOf([{ arn: STRIPE_ARN, versionId: '20260202-0000-4000-8000-000000000002', keys: ['STRIPE_KEY'] }], APP_CONFIG_ARN),
    ).toEqual([]);
  });
});
