import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecretInvalidError } from '../../../../lambdas/shared/errors.ts';
import type { DeploymentState } from '../../../../lambdas/shared/stages.ts';
import { handler } from '../../../../lambdas/validate/index.ts';
import { failure } from '../../../support/aws.ts';
import { initialState, OLD_IMAGE_URI, SECRET_KEYS, SECRET_VERSION_ID } from '../../../support/state.ts';
import {
  arrangeEveryCheckPasses,
  LIVE_SECRET_VALUES,
  LIVE_SECRET_VERSION_ID,
  liveContainerImage,
  SECRET_VALUES,
  secretArn,
  secretReads,
  secretsMock,
  secretValue,
} from '../../../support/validate.ts';

describe('validate: app-config secret', () => {
  beforeEach(() => {
    // Arrange (shared): an account in which every check passes.
    arrangeEveryCheckPasses();
  });

  it('pins the secret by ARN, version id and sorted key names', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.secret).toEqual({ arn: secretArn, versionId: SECRET_VERSION_ID, keys: SECRET_KEYS });
  });

  it('puts no secret value anywhere in its output', async () => {
    // Arrange: every check passes (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    const output = JSON.stringify(state);
    for (const value of [
      SECRET_VALUES.DATABASE_URL,
      SECRET_VALUES.SESSION_SECRET,
      'Tr0ub4dor',
      LIVE_SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.LEGACY_CHECKOUT,
    ]) {
      expect(output).not.toContain(value);
    }
  });

  it('records which app-config keys the release adds, removes and changes against the live version, by name only', async () => {
    // Arrange: blue pinned LIVE_SECRET_VERSION_ID; AWSCURRENT is SECRET_VERSION_ID (beforeEach).

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.configDiff).toEqual({
      secretArn,
      fromVersionId: LIVE_SECRET_VERSION_ID,
      toVersionId: SECRET_VERSION_ID,
      added: ['WORKER_CONCURRENCY'],
      removed: ['LEGACY_CHECKOUT'],
      changed: ['SESSION_SECRET'],
    });
    const diff = JSON.stringify(state.configDiff);
    for (const value of [
      SECRET_VALUES.DATABASE_URL,
      SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.SESSION_SECRET,
      LIVE_SECRET_VALUES.LEGACY_CHECKOUT,
    ]) {
      expect(diff).not.toContain(value);
    }
  });

  it('notes that there is nothing to compare with, and reads one version only, when the live release pinned no version', async () => {
    // Arrange
    liveContainerImage(OLD_IMAGE_URI, [{ name: 'DATABASE_URL', valueFrom: `${secretArn}:DATABASE_URL::` }]);

    // Act
    const state = await handler(initialState());

    // Assert
    expect(state.previous?.secrets).toEqual([{ arn: secretArn, keys: ['DATABASE_URL'] }]);
    expect(state.configDiff).toEqual({
      secretArn,
      fromVersionId: null,
      toVersionId: SECRET_VERSION_ID,
      added: [],
      removed: [],
      changed: [],
      note: 'the live release does not pin a version of this secret, so there is nothing to compare with',
    });
    expect(secretReads()).toEqual([{ SecretId: secretArn, VersionId: SECRET_VERSION_ID }]);
  });

  it('fails with SecretInvalidError when the secret does not exist', async () => {
    // Arrange
    secretsMock
      .on(DescribeSecretCommand, { SecretId: secretArn })
      .rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${secretArn} not found`);
  });

  describe('a secret encrypted with a customer managed KMS key', () => {
    const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const KEY_ARN = `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`;
    const OTHER_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0f0f0f0f-1111-2222-3333-444455556666';

    function encryptedWith(kmsKeyId: string) {
      secretsMock.on(DescribeSecretCommand, { SecretId: secretArn }).resolves({
        ARN: secretArn,
        KmsKeyId: kmsKeyId,
        VersionIdsToStages: { [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_SECRET_VERSION_ID]: ['AWSPREVIOUS'] },
      });
    }

    function withKey(kmsKeyArn: string | undefined): DeploymentState {
      const state = initialState();
      const appConfig = state.service.appConfig;
      if (!appConfig) throw new Error('the example service has no appConfig');
      return { ...state, service: { ...state.service, appConfig: { ...appConfig, ...(kmsKeyArn ? { kmsKeyArn } : {}) } } };
    }

    it('refuses it, reading no value, when appConfig.kmsKeyArn does not name the key', async () => {
      // Arrange
      encryptedWith(KEY_ARN);

      // Act
      const error = await failure(handler(withKey(undefined)));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key ${KEY_ARN}, which appConfig.kmsKeyArn does not name; set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
      expect(secretReads()).toEqual([]);
    });

    it('refuses it when appConfig.kmsKeyArn names another key', async () => {
      // Arrange: DescribeSecret names the key by its id.
      encryptedWith(KEY_ID);

      // Act
      const error = await failure(handler(withKey(OTHER_KEY_ARN)));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key ${KEY_ID}, not with the key appConfig.kmsKeyArn names (${OTHER_KEY_ARN}); set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
    });

    it.each([
      ['its ARN', KEY_ARN],
      ['its id', KEY_ID],
    ])('reads it when appConfig.kmsKeyArn names the key DescribeSecret gives by %s', async (_case, kmsKeyId) => {
      // Arrange
      encryptedWith(kmsKeyId);

      // Act
      const state = await handler(withKey(KEY_ARN));

      // Assert
      expect(state.secret?.versionId).toBe(SECRET_VERSION_ID);
    });

    it.each(['alias/aws/secretsmanager', 'arn:aws:kms:eu-west-1:123456789012:alias/aws/secretsmanager'])(
      'reads a secret under the AWS managed key (%s) without appConfig.kmsKeyArn',
      async (kmsKeyId) => {
        // Arrange
        encryptedWith(kmsKeyId);

        // Act
        const state = await handler(withKey(undefined));

        // Assert
        expect(state.secret?.versionId).toBe(SECRET_VERSION_ID);
      },
    );

    it('refuses a secret under a customer managed alias without appConfig.kmsKeyArn', async () => {
      // Arrange
      encryptedWith('alias/web-config');

      // Act
      const error = await failure(handler(withKey(undefined)));

      // Assert
      expect(error.message).toBe(
        `app-config secret ${secretArn} is encrypted with the customer managed KMS key alias/web-config, which appConfig.kmsKeyArn does not name; set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
      );
    });
  });

  it('fails with SecretInvalidError naming the missing key and the version, without any value', async () => {
    // Arrange
    const { SESSION_SECRET: _dropped, ...withoutSession } = SECRET_VALUES;
    secretValue(withoutSession);

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toBe(`app-config secret ${secretArn} version ${SECRET_VERSION_ID}: key SESSION_SECRET is missing`);
  });

  it('fails with SecretInvalidError naming the key and version of a broken rule, but not its value', async () => {
    // Arrange
    const badValue = 'eight-workers-hunter2';
    secretValue({ ...SECRET_VALUES, WORKER_CONCURRENCY: badValue });

    // Act
    const error = await failure(handler(initialState()));

    // Assert
    expect(error).toBeInstanceOf(SecretInvalidError);
    expect(error.message).toContain('key WORKER_CONCURRENCY must be an integer');
    expect(error.message).toContain(SECRET_VERSION_ID);
    expect(error.message).not.toContain(badValue);
  });
});
