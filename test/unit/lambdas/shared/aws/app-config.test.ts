import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  assertPinnedVersionsAvailable,
  checkAppConfig,
  currentVersionOf,
  keyDiff,
  ruleViolation,
  versionAvailable,
  versionStages,
} from '../../../../../lambdas/shared/aws/app-config.ts';
import type { SecretKeyRule } from '../../../../../lambdas/shared/config-schema.ts';
import { SecretInvalidError, SecretVersionGoneError } from '../../../../../lambdas/shared/errors.ts';
import { failure, rejectByDefault } from '../../../../support/aws.ts';
import { SECRET_VERSION_ID } from '../../../../support/state.ts';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
/** The version the live release pinned, one rotation before SECRET_VERSION_ID (AWSCURRENT). */
const LIVE_VERSION_ID = 'b0a710ad-5678-4def-8abc-ba9876543210';
const APP_CONFIG = {
  secretArn: SECRET_ARN,
  keys: { SESSION_SECRET: 'string', DATABASE_URL: 'url', FEATURE_X: 'boolean' } satisfies Record<string, SecretKeyRule>,
};
const VALUES = { DATABASE_URL: 'postgres://web:pa55word-xyz@db.internal:5432/web', SESSION_SECRET: 'k3ep-it-s3cret', FEATURE_X: 'true' };
/** What the live release's version held: FEATURE_X was not there yet, LEGACY_MODE was, the session secret was another. */
const LIVE_VALUES = { DATABASE_URL: VALUES.DATABASE_URL, SESSION_SECRET: 'old-s3ssion-k3y', LEGACY_MODE: 'legacy-m0de-on' };

const notFound = (message: string) => new ResourceNotFoundException({ message, $metadata: { httpStatusCode: 400 } });

describe('app-config secret', () => {
  const secretsMock = mockClient(SecretsManagerClient);

  function stages(versions: Record<string, string[]>, fields: { DeletedDate?: Date } = {}) {
    secretsMock
      .on(DescribeSecretCommand, { SecretId: SECRET_ARN })
      .resolves({ ARN: SECRET_ARN, Name: 'web/app-config', VersionIdsToStages: versions, ...fields });
  }

  function secretString(versionId: string, secret: string | undefined) {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN, VersionId: versionId })
      .resolves({ ARN: SECRET_ARN, VersionId: versionId, SecretString: secret });
  }

  /** The inputs of every GetSecretValue call, in order. */
  function reads() {
    return secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    // Arrange (shared): the secret has an AWSCURRENT and an AWSPREVIOUS version.
    rejectByDefault(secretsMock);
    stages({ [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_VERSION_ID]: ['AWSPREVIOUS'] });
    secretString(SECRET_VERSION_ID, JSON.stringify(VALUES));
    secretString(LIVE_VERSION_ID, JSON.stringify(LIVE_VALUES));
  });

  describe('versionStages', () => {
    it('maps every version Secrets Manager lists to its staging labels', async () => {
      // Arrange
      stages({ [SECRET_VERSION_ID]: ['AWSCURRENT', 'release-7'], [LIVE_VERSION_ID]: ['AWSPREVIOUS'], 'deprecated-1': [] });

      // Act
      const found = await versionStages(SECRET_ARN);

      // Assert
      expect(found).toEqual(
        new Map([
          [SECRET_VERSION_ID, ['AWSCURRENT', 'release-7']],
          [LIVE_VERSION_ID, ['AWSPREVIOUS']],
          ['deprecated-1', []],
        ]),
      );
      expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(DescribeSecretCommand, { SecretId: SECRET_ARN });
    });

    it('fails with SecretInvalidError when the secret does not exist', async () => {
      // Arrange
      secretsMock.on(DescribeSecretCommand, { SecretId: SECRET_ARN }).rejects(notFound("Secrets Manager can't find the specified secret."));

      // Act
      const error = await failure(versionStages(SECRET_ARN));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} not found`);
    });

    it('fails with SecretInvalidError when the secret is scheduled for deletion', async () => {
      // Arrange
      stages({ [SECRET_VERSION_ID]: ['AWSCURRENT'] }, { DeletedDate: new Date('2025-03-10T00:00:00Z') });

      // Act
      const error = await failure(versionStages(SECRET_ARN));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} is scheduled for deletion`);
    });

    it('lets any other DescribeSecret error through as it is', async () => {
      // Arrange
      const denied = new SecretsManagerServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized to perform: secretsmanager:DescribeSecret',
        $metadata: { httpStatusCode: 400 },
      });
      secretsMock.on(DescribeSecretCommand, { SecretId: SECRET_ARN }).rejects(denied);

      // Act
      const error = await failure(versionStages(SECRET_ARN));

      // Assert
      expect(error).toBe(denied);
    });
  });

  describe('currentVersionOf and versionAvailable', () => {
    const found = new Map([
      [LIVE_VERSION_ID, ['AWSPREVIOUS']],
      [SECRET_VERSION_ID, ['release-7', 'AWSCURRENT']],
      ['deprecated-1', []],
    ]);

    it('finds the version labelled AWSCURRENT among other labels', () => {
      expect(currentVersionOf(SECRET_ARN, found)).toBe(SECRET_VERSION_ID);
    });

    it('fails with SecretInvalidError when no version is labelled AWSCURRENT', () => {
      expect(() => currentVersionOf(SECRET_ARN, new Map([[LIVE_VERSION_ID, ['AWSPREVIOUS']]]))).toThrow(
        new SecretInvalidError(`app-config secret ${SECRET_ARN} has no AWSCURRENT version`),
      );
    });

    it.each([
      ['a version with a staging label', LIVE_VERSION_ID, true],
      ['a version without any staging label', 'deprecated-1', false],
      ['a version Secrets Manager no longer lists', 'deleted-1', false],
    ])('counts %s as available: %s', (_case, versionId, expected) => {
      expect(versionAvailable(found, versionId)).toBe(expected);
    });
  });

  describe('keyDiff', () => {
    it('lists added, removed and changed key names, each sorted', () => {
      // Arrange
      const before = { B: '1', A: '1', GONE: 'x', ALSO_GONE: 'y', SAME: { nested: [1, 2] } };
      const after = { Z_NEW: '1', B: '2', A: 1, SAME: { nested: [1, 2] }, A_NEW: 'z' };

      // Act
      const diff = keyDiff(before, after);

      // Assert
      expect(diff).toEqual({ added: ['A_NEW', 'Z_NEW'], removed: ['ALSO_GONE', 'GONE'], changed: ['A', 'B'] });
    });

    it('reports nothing for two equal documents', () => {
      expect(keyDiff(VALUES, { ...VALUES })).toEqual({ added: [], removed: [], changed: [] });
    });
  });

  describe('checkAppConfig', () => {
    it('pins the AWSCURRENT version and the sorted key names', async () => {
      // Arrange: AWSCURRENT is SECRET_VERSION_ID (beforeEach).

      // Act
      const { pin } = await checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID]);

      // Assert
      expect(pin).toEqual({ arn: SECRET_ARN, versionId: SECRET_VERSION_ID, keys: ['DATABASE_URL', 'FEATURE_X', 'SESSION_SECRET'] });
    });

    it('reads exactly the AWSCURRENT version it pins, then the live version, each by version id', async () => {
      // Arrange: AWSCURRENT is SECRET_VERSION_ID (beforeEach).

      // Act
      await checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID]);

      // Assert
      expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(DescribeSecretCommand, { SecretId: SECRET_ARN });
      expect(reads()).toEqual([
        { SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID },
        { SecretId: SECRET_ARN, VersionId: LIVE_VERSION_ID },
      ]);
    });

    it('reads the secret again on every check instead of serving a cached value', async () => {
      // Arrange
      await checkAppConfig(APP_CONFIG, []);
      secretString(SECRET_VERSION_ID, JSON.stringify({ ...VALUES, FEATURE_X: 'maybe' }));

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(reads()).toEqual([
        { SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID },
        { SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID },
      ]);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID}: key FEATURE_X must be true or false`);
    });

    it('diffs the new version against the live one by key names, never values', async () => {
      // Arrange: the live release pinned LIVE_VERSION_ID (beforeEach).

      // Act
      const { diff } = await checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID]);

      // Assert
      expect(diff).toEqual({
        secretArn: SECRET_ARN,
        fromVersionId: LIVE_VERSION_ID,
        toVersionId: SECRET_VERSION_ID,
        added: ['FEATURE_X'],
        removed: ['LEGACY_MODE'],
        changed: ['SESSION_SECRET'],
      });
      const output = JSON.stringify(diff);
      for (const value of [VALUES.DATABASE_URL, VALUES.SESSION_SECRET, LIVE_VALUES.SESSION_SECRET, LIVE_VALUES.LEGACY_MODE]) {
        expect(output).not.toContain(value);
      }
    });

    it('reports an empty diff and reads once when the live release already pins the AWSCURRENT version', async () => {
      // Arrange: the live release pinned SECRET_VERSION_ID.

      // Act
      const { diff } = await checkAppConfig(APP_CONFIG, [SECRET_VERSION_ID]);

      // Assert
      expect(diff).toEqual({
        secretArn: SECRET_ARN,
        fromVersionId: SECRET_VERSION_ID,
        toVersionId: SECRET_VERSION_ID,
        added: [],
        removed: [],
        changed: [],
      });
      expect(reads()).toEqual([{ SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }]);
    });

    it('notes that there is nothing to compare with when the live release pins no version', async () => {
      // Arrange: the live release pinned none.

      // Act
      const { diff } = await checkAppConfig(APP_CONFIG, []);

      // Assert
      expect(diff).toEqual({
        secretArn: SECRET_ARN,
        fromVersionId: null,
        toVersionId: SECRET_VERSION_ID,
        added: [],
        removed: [],
        changed: [],
        note: 'the live release does not pin a version of this secret, so there is nothing to compare with',
      });
      expect(reads()).toEqual([{ SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }]);
    });

    it('notes that there is no single version to compare with when the live release pins several', async () => {
      // Arrange: the live release pinned two versions.

      // Act
      const { diff } = await checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID, SECRET_VERSION_ID]);

      // Assert
      expect(diff).toEqual({
        secretArn: SECRET_ARN,
        fromVersionId: null,
        toVersionId: SECRET_VERSION_ID,
        added: [],
        removed: [],
        changed: [],
        note: `the live release pins 2 versions (${LIVE_VERSION_ID}, ${SECRET_VERSION_ID}), so there is no single one to compare with`,
      });
      expect(reads()).toEqual([{ SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }]);
    });

    it('notes that the live version no longer exists instead of reading it', async () => {
      // Arrange
      stages({ [SECRET_VERSION_ID]: ['AWSCURRENT'] });

      // Act
      const { diff } = await checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID]);

      // Assert
      expect(diff).toEqual({
        secretArn: SECRET_ARN,
        fromVersionId: LIVE_VERSION_ID,
        toVersionId: SECRET_VERSION_ID,
        added: [],
        removed: [],
        changed: [],
        note: `version ${LIVE_VERSION_ID} of the live release no longer exists, so there is nothing to compare with`,
      });
      expect(reads()).toEqual([{ SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }]);
    });

    it('fails with SecretInvalidError when no version is AWSCURRENT, without reading any value', async () => {
      // Arrange
      stages({ [LIVE_VERSION_ID]: ['AWSPREVIOUS'] });

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, [LIVE_VERSION_ID]));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} has no AWSCURRENT version`);
      expect(secretsMock).not.toHaveReceivedCommand(GetSecretValueCommand);
    });

    it('fails with SecretInvalidError when the secret does not exist', async () => {
      // Arrange
      secretsMock.on(DescribeSecretCommand, { SecretId: SECRET_ARN }).rejects(notFound("Secrets Manager can't find the specified secret."));

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} not found`);
    });

    it('turns a ResourceNotFoundException for the version, wrapped by Powertools, into SecretVersionGoneError', async () => {
      // Arrange
      const gone = notFound(`Secrets Manager can't find the specified secret value for VersionId: ${SECRET_VERSION_ID}`);
      secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }).rejects(gone);

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBeInstanceOf(SecretVersionGoneError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} not found`);
      expect(error.cause).toBe(gone);
    });

    it('lets a throttling error through as the SDK error itself, not the Powertools wrapper, so the phase retries', async () => {
      // Arrange
      const throttled = new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
      secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN, VersionId: SECRET_VERSION_ID }).rejects(throttled);

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBe(throttled);
    });

    it('fails with SecretInvalidError when the version has no string value', async () => {
      // Arrange
      secretString(SECRET_VERSION_ID, undefined);

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} has no string value`);
    });

    it('fails with SecretInvalidError without quoting the value when the version is not JSON', async () => {
      // Arrange
      secretString(SECRET_VERSION_ID, 'DATABASE_URL=postgres://web:pa55word-xyz@db');

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} is not a JSON object`);
    });

    it('fails with SecretInvalidError when the version is a JSON array', async () => {
      // Arrange
      secretString(SECRET_VERSION_ID, JSON.stringify(['pa55word-xyz']));

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID} is not a JSON object`);
    });

    it('lists every broken key in one error, naming keys and never values', async () => {
      // Arrange
      secretString(SECRET_VERSION_ID, JSON.stringify({ DATABASE_URL: 'pa55word-xyz', FEATURE_X: 'maybe' }));

      // Act
      const error = await failure(checkAppConfig(APP_CONFIG, []));

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
      secretString(SECRET_VERSION_ID, JSON.stringify({ SESSION_SECRET: 'k3ep-it-s3cret' }));

      // Act
      const error = await failure(checkAppConfig(appConfig, []));

      // Assert
      expect(error).toBeInstanceOf(SecretInvalidError);
      expect(error.message).toBe(`app-config secret ${SECRET_ARN} version ${SECRET_VERSION_ID}: key constructor is missing`);
    });
  });

  describe('assertPinnedVersionsAvailable', () => {
    const RELEASE = 'release web-20250301-080000-aaaa';

    it('passes while every pinned version carries a staging label', async () => {
      // Arrange: both versions are labelled (beforeEach).

      // Act
      const result = await assertPinnedVersionsAvailable(SECRET_ARN, [LIVE_VERSION_ID, SECRET_VERSION_ID], RELEASE);

      // Assert
      expect(result).toBeUndefined();
      expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(DescribeSecretCommand, { SecretId: SECRET_ARN });
      expect(secretsMock).not.toHaveReceivedCommand(GetSecretValueCommand);
    });

    it('asks Secrets Manager nothing when the release pinned no version', async () => {
      // Act
      await assertPinnedVersionsAvailable(SECRET_ARN, [], RELEASE);

      // Assert
      expect(secretsMock).not.toHaveReceivedAnyCommand();
    });

    it('fails with SecretVersionGoneError naming a deleted version', async () => {
      // Arrange
      stages({ [SECRET_VERSION_ID]: ['AWSCURRENT'] });

      // Act
      const error = await failure(assertPinnedVersionsAvailable(SECRET_ARN, [LIVE_VERSION_ID], RELEASE));

      // Assert
      expect(error).toBeInstanceOf(SecretVersionGoneError);
      expect(error.message).toBe(
        `${RELEASE} pinned app-config secret ${SECRET_ARN} version ${LIVE_VERSION_ID} (deleted); it can no longer be redeployed exactly. Nothing was changed`,
      );
    });

    it('fails with SecretVersionGoneError naming every unusable version and why', async () => {
      // Arrange
      stages({ [SECRET_VERSION_ID]: ['AWSCURRENT'], [LIVE_VERSION_ID]: [] });

      // Act
      const error = await failure(assertPinnedVersionsAvailable(SECRET_ARN, [LIVE_VERSION_ID, 'deleted-1', SECRET_VERSION_ID], RELEASE));

      // Assert
      expect(error).toBeInstanceOf(SecretVersionGoneError);
      expect(error.message).toBe(
        `${RELEASE} pinned app-config secret ${SECRET_ARN} version ${LIVE_VERSION_ID} (no staging label left), deleted-1 (deleted); it can no longer be redeployed exactly. Nothing was changed`,
      );
    });
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
