/**
 * The app-config secret: fetched once, checked against the key rules of the
 * config, and reduced to what may travel: ARN, version id and key names.
 * The value never leaves this module (invariant 5).
 */
import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import * as clients from '../clients.ts';
import type { SecretKeyRule, ServiceConfig } from '../config-schema.ts';
import type { SecretPin } from '../contract.ts';
import { SecretInvalidError } from '../errors.ts';

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

export async function readAppConfig(appConfig: NonNullable<ServiceConfig['appConfig']>): Promise<SecretPin> {
  const { secretArn, keys } = appConfig;
  let secretString: string | undefined;
  let versionId: string | undefined;
  try {
    const out = await clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    secretString = out.SecretString;
    versionId = out.VersionId;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      throw new SecretInvalidError(`app-config secret ${secretArn} not found`, { cause: error });
    }
    throw error;
  }
  const where = `app-config secret ${secretArn} version ${versionId ?? '?'}`;
  if (!versionId || secretString === undefined) throw new SecretInvalidError(`${where} has no string value`);
  let document: unknown;
  try {
    document = JSON.parse(secretString);
  } catch {
    // The parser's message can quote the value, so it is not passed on.
    throw new SecretInvalidError(`${where} is not a JSON object`);
  }
  secretString = undefined;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new SecretInvalidError(`${where} is not a JSON object`);
  }
  const values = document as Record<string, unknown>;
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(keys)) {
    if (!Object.hasOwn(values, key)) {
      problems.push(`key ${key} is missing`);
      continue;
    }
    const violation = ruleViolation(rule, values[key]);
    if (violation) problems.push(`key ${key} ${violation}`);
  }
  if (problems.length > 0) throw new SecretInvalidError(`${where}: ${problems.join('; ')}`);
  return { arn: secretArn, versionId, keys: Object.keys(keys).sort() };
}
