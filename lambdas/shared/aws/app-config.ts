/**
 * The app-config secret: its versions, the check of one version against the
 * key rules of the config, and the diff between two versions. Values are read
 * through Powertools Parameters with caching off (maxAge 0), compared in this
 * module and dropped; only ARNs, version ids and key names leave it
 * (docs/architecture.md I5).
 */
import { GetParameterError } from '@aws-lambda-powertools/parameters';
import { DescribeSecretCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { secrets, secretsProvider } from '../clients/secrets.ts';
import type { SecretKeyRule, ServiceConfig } from '../config-schema.ts';
import type { ConfigDiff, SecretPin } from '../contract.ts';
import { SecretInvalidError, SecretVersionGoneError } from '../errors.ts';
import { AWS_MANAGED_KEY } from '../secret-refs.ts';

/** Why the value breaks the rule, in words that never include the value. */
export function ruleViolation(rule: SecretKeyRule, value: unknown): string | undefined {
  if (typeof rule === 'string') {
    switch (rule) {
      case 'string':
        return typeof value === 'string' && value.length > 0 ? undefined : 'must be a non-empty string';
      case 'url':
        if (typeof value !== 'string') return 'must be a URL string';
        try {
          new URL(value);
          return undefined;
        } catch {
          return 'must be an absolute URL';
        }
      case 'integer':
        return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value))
          ? undefined
          : 'must be an integer';
      case 'boolean':
        return typeof value === 'boolean' || value === 'true' || value === 'false' ? undefined : 'must be true or false';
    }
  }
  if ('enum' in rule) {
    return typeof value === 'string' && rule.enum.includes(value) ? undefined : `must be one of ${rule.enum.join(', ')}`;
  }
  return typeof value === 'string' && new RegExp(rule.regex).test(value) ? undefined : `must match /${rule.regex}/`;
}

export interface SecretDescription {
  /** Version id -> staging labels, for every version Secrets Manager still lists for the secret. */
  readonly stages: Map<string, string[]>;
  /** The KMS key the secret is encrypted with (key id, key ARN, alias or alias ARN); undefined for aws/secretsmanager. */
  readonly kmsKeyId: string | undefined;
}

/** DescribeSecret of the app-config secret: its versions and its KMS key. */
async function describeSecret(secretArn: string): Promise<SecretDescription> {
  try {
    const out = await secrets().send(new DescribeSecretCommand({ SecretId: secretArn }));
    if (out.DeletedDate) throw new SecretInvalidError(`app-config secret ${secretArn} is scheduled for deletion`);
    return { stages: new Map(Object.entries(out.VersionIdsToStages ?? {})), kmsKeyId: out.KmsKeyId };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretInvalidError(`app-config secret ${secretArn} not found`, { cause: error });
    }
    throw error;
  }
}

/** Version id -> staging labels, for every version Secrets Manager still lists for the secret. */
export async function versionStages(secretArn: string): Promise<Map<string, string[]>> {
  return (await describeSecret(secretArn)).stages;
}

/**
 * GetSecretValue decrypts with the caller's permissions: a secret encrypted
 * with a customer managed key can be read only if appConfig.kmsKeyArn names
 * that key (the stack grants kms:Decrypt on exactly it, via Secrets Manager).
 * An alias cannot be resolved without KMS access, so a configured key is
 * trusted for it.
 */
function assertKeyConfigured(appConfig: NonNullable<ServiceConfig['appConfig']>, kmsKeyId: string | undefined): void {
  if (kmsKeyId === undefined || AWS_MANAGED_KEY.test(kmsKeyId)) return;
  const configured = appConfig.kmsKeyArn;
  const alias = /(^|:)alias\//.test(kmsKeyId);
  const matches = alias
    ? configured !== undefined
    : kmsKeyId.startsWith('arn:')
      ? configured === kmsKeyId
      : configured?.endsWith(`:key/${kmsKeyId}`) === true;
  if (matches) return;
  throw new SecretInvalidError(
    `app-config secret ${appConfig.secretArn} is encrypted with the customer managed KMS key ${kmsKeyId}, ${
      configured ? `not with the key appConfig.kmsKeyArn names (${configured})` : 'which appConfig.kmsKeyArn does not name'
    }; set appConfig.kmsKeyArn to the ARN of that key, so the pipeline may decrypt the secret`,
  );
}

export function currentVersionOf(secretArn: string, stages: Map<string, string[]>): string {
  const current = [...stages].find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
  if (!current) throw new SecretInvalidError(`app-config secret ${secretArn} has no AWSCURRENT version`);
  return current;
}

/**
 * Whether a pinned version can still back a task. Secrets Manager treats a
 * version without any staging label as deprecated and may delete it at any
 * time, so a version counts only while it carries at least one label.
 */
export function versionAvailable(stages: Map<string, string[]>, versionId: string): boolean {
  return (stages.get(versionId)?.length ?? 0) > 0;
}

/** The JSON object stored in one exact version. The caller must not keep it. */
async function readDocument(secretArn: string, versionId: string): Promise<Record<string, unknown>> {
  const where = `app-config secret ${secretArn} version ${versionId}`;
  let text: unknown;
  try {
    text = await secretsProvider().get(secretArn, { maxAge: 0, forceFetch: true, sdkOptions: { VersionId: versionId } });
  } catch (error) {
    // Powertools wraps the SDK error; the SDK's own error decides retry or rejection.
    const cause = error instanceof GetParameterError && error.cause ? error.cause : error;
    if (cause instanceof ResourceNotFoundException) throw new SecretVersionGoneError(`${where} not found`, { cause });
    throw cause;
  }
  if (typeof text !== 'string') throw new SecretInvalidError(`${where} has no string value`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // The parser's message can quote the value, so it is not passed on.
    throw new SecretInvalidError(`${where} is not a JSON object`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new SecretInvalidError(`${where} is not a JSON object`);
  }
  return document as Record<string, unknown>;
}

/** Key names added, removed and changed from one document to the next; never values. */
export function keyDiff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Pick<ConfigDiff, 'added' | 'removed' | 'changed'> {
  const added = Object.keys(after).filter((key) => !Object.hasOwn(before, key));
  const removed = Object.keys(before).filter((key) => !Object.hasOwn(after, key));
  const changed = Object.keys(after).filter(
    (key) => Object.hasOwn(before, key) && JSON.stringify(before[key]) !== JSON.stringify(after[key]),
  );
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

export interface AppConfigCheck {
  readonly pin: SecretPin;
  readonly diff: ConfigDiff;
}

/**
 * Pins the AWSCURRENT version, checks it against the key rules, and diffs it
 * against the version the live revision pinned (if it pinned exactly one).
 */
export async function checkAppConfig(
  appConfig: NonNullable<ServiceConfig['appConfig']>,
  liveVersionIds: readonly string[],
): Promise<AppConfigCheck> {
  const { secretArn, keys } = appConfig;
  const { stages, kmsKeyId } = await describeSecret(secretArn);
  assertKeyConfigured(appConfig, kmsKeyId);
  const versionId = currentVersionOf(secretArn, stages);
  const values = await readDocument(secretArn, versionId);
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(keys)) {
    if (!Object.hasOwn(values, key)) {
      problems.push(`key ${key} is missing`);
      continue;
    }
    const violation = ruleViolation(rule, values[key]);
    if (violation) problems.push(`key ${key} ${violation}`);
  }
  if (problems.length > 0) {
    throw new SecretInvalidError(`app-config secret ${secretArn} version ${versionId}: ${problems.join('; ')}`);
  }
  const pin: SecretPin = { arn: secretArn, versionId, keys: Object.keys(keys).sort() };
  const [fromVersionId] = liveVersionIds;
  if (liveVersionIds.length !== 1 || !fromVersionId) {
    const note =
      liveVersionIds.length === 0
        ? 'the live release does not pin a version of this secret, so there is nothing to compare with'
        : `the live release pins ${liveVersionIds.length} versions (${liveVersionIds.join(', ')}), so there is no single one to compare with`;
    return { pin, diff: { secretArn, fromVersionId: null, toVersionId: versionId, added: [], removed: [], changed: [], note } };
  }
  if (fromVersionId === versionId) {
    return { pin, diff: { secretArn, fromVersionId, toVersionId: versionId, added: [], removed: [], changed: [] } };
  }
  if (!stages.has(fromVersionId)) {
    const note = `version ${fromVersionId} of the live release no longer exists, so there is nothing to compare with`;
    return { pin, diff: { secretArn, fromVersionId, toVersionId: versionId, added: [], removed: [], changed: [], note } };
  }
  let before: Record<string, unknown>;
  try {
    before = await readDocument(secretArn, fromVersionId);
  } catch (error) {
    // The diff only informs; a live version deleted since DescribeSecret must not block the deployment.
    if (!(error instanceof SecretVersionGoneError || error instanceof SecretInvalidError)) throw error;
    const note = `version ${fromVersionId} of the live release could not be read (${error.message}), so there is nothing to compare with`;
    return { pin, diff: { secretArn, fromVersionId, toVersionId: versionId, added: [], removed: [], changed: [], note } };
  }
  return { pin, diff: { secretArn, fromVersionId, toVersionId: versionId, ...keyDiff(before, values) } };
}

/** The app-config secret versions an older revision pinned: each must still be there to redeploy it. */
export async function assertPinnedVersionsAvailable(secretArn: string, versionIds: readonly string[], release: string): Promise<void> {
  if (versionIds.length === 0) return;
  const stages = await versionStages(secretArn);
  const gone = versionIds.filter((versionId) => !versionAvailable(stages, versionId));
  if (gone.length === 0) return;
  const why = gone
    .map((versionId) => (stages.has(versionId) ? `${versionId} (no staging label left)` : `${versionId} (deleted)`))
    .join(', ');
  throw new SecretVersionGoneError(
    `${release} pinned app-config secret ${secretArn} version ${why}; it can no longer be redeployed exactly. Nothing was changed`,
  );
}
