import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readAppConfig, ruleViolation } from '../../lambdas/shared/aws/app-config.ts';
import type { SecretKeyRule } from '../../lambdas/shared/config-schema.ts';
import { SecretInvalidError } from '../../lambdas/shared/errors.ts';
import { failure, rejectByDefault } from '../fixtures/aws.ts';
import { SECRET_VERSION_ID } from '../fixtures/state.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
const APP_CONFIG = {
  secretArn: SECRET_ARN,
  keys: { SESSION_SECRET: 'string', DATABASE_URL: 'url', FEATURE_X: 'boolean' } satisfies Record<string, SecretKeyRule>,
};
const VALUES = { DATABASE_URL: 'postgres://web:pa55word-xyz@db.internal:5432/web', SESSION_SECRET: 'k3ep-it-s3cret', FEATURE_X: 'true' };

describe('app-config secret', () => {
  const secretsMock = mockClient(SecretsManagerClient);

  function secretString(secret: string | undefined) {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ ARN: SECRET_ARN, VersionId: SECRET_VERSION_ID, SecretString: secret });
  }

  beforeEach(() => {
    rejectByDefault(secretsMock);
  });

  it('pins the secret to its version and the sorted key names', async () => {
    // Arrange
    secretString(JSON.stringify(VALUES));

    // Act
    const pin = await readAppConfig(APP_CONFIG);

    // Assert
    expect(pin).toEqual({ arn: SECRET_ARN, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL', 'FEATURE_X', 'SESSION_SECRET'] });
  });

  it('fails with SecretInvalidError when the secret does not exist', async () => {
    // Arrange
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await failure(readAppConfig(APP_CONFIG));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${SECRET_ARN} not found`);
  });

  it('fails with SecretInvalidError when the secret has no string value', async () => {
    // Arrange
    secretString(undefined);

    // Act
    const error = await failure(readAppConfig(APP_CONFIG));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} has no string value`);
  });

  it('fails with SecretInvalidError without quoting the value when the secret is not JSON', async () => {
    // Arrange
    const notJson = 'DATABASE_URL=postgres://web:pa55word-xyz@db';
    secretString(notJson);

    // Act
    const error = await failure(readAppConfig(APP_CONFIG));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} is not a JSON object`);
  });

  it('fails with SecretInvalidError when the secret is a JSON array', async () => {
    // Arrange
    secretString(JSON.stringify(['pa55word-xyz']));

    // Act
    const error = await failure(readAppConfig(APP_CONFIG));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} is not a JSON object`);
  });

  it('lists every broken key in one error, naming keys and never values', async () => {
    // Arrange
    secretString(JSON.stringify({ DATABASE_URL: 'pa55word-xyz', FEATURE_X: 'maybe' }));

    // Act
    const error = await failure(readAppConfig(APP_CONFIG));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(
      `app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID}: key SESSION_SECRET is missing; key DATABASE_URL must be an absolute URL; key FEATURE_X must be true or false`,
    );
  });

  it('reports a key named like an Object.prototype member as missing when the secret lacks it', async () => {
    // Arrange
    const rule: SecretKeyRule = 'string';
    const appConfig = { secretArn: SECRET_ARN, keys: Object.fromEntries([['constructor', rule]]) };
    secretString(JSON.stringify({ SESSION_SECRET: 'k3ep-it-s3cret' }));

    // Act
    const error = await failure(readAppConfig(appConfig));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID}: key constructor is missing`);
  });

  it.each<[SecretKeyRule, unknown, string | undefined]>([
    ['string', 'x', undefined],
    ['string', '', 'must be a non-empty string'],
    ['url', 'https://example.com/x', undefined],
    ['url', 'example.com', 'must be an absolute URL'],
    ['url', 42, 'must be a URL string'],
    ['integer', '8', undefined],
    ['integer', 8, undefined],
    ['integer', '8.5', 'must be an integer'],
    ['boolean', false, undefined],
    ['boolean', 'false', undefined],
    ['boolean', 'yes', 'must be true or false'],
    [{ enum: ['debug', 'info'] }, 'info', undefined],
    [{ enum: ['debug', 'info'] }, 'trace', 'must be one of debug, info'],
    [{ regex: '^[a-z]{3}$' }, 'abc', undefined],
    [{ regex: '^[a-z]{3}$' }, 'abcd', 'must match /^[a-z]{3}$/'],
  ])('judges rule %o against %o as %s', (rule, value, expected) => {
    // Arrange: the rule and value of the row.

    // Act
    const violation = ruleViolation(rule, value);

    // Assert
    expect(violation).toBe(expected);
  });
});
