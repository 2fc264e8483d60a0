/**
 * Reading a container's `secrets` as (secret ARN, version, keys). ECS takes
 * `valueFrom` as `<secret ARN>[:<json key>:<version stage>:<version id>]`; a
 * revision is exact only when every key names a version id.
 */
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { SecretPin, SecretRef } from './contract.ts';

/** The six colon-separated parts of a Secrets Manager secret ARN before the name, plus the name. */
const SECRET_ARN_PARTS = 7;

export function parseValueFrom(valueFrom: string): { arn: string; jsonKey?: string; versionId?: string } | undefined {
  const parts = valueFrom.split(':');
  if (parts[2] !== 'secretsmanager' || parts[5] !== 'secret' || parts.length < SECRET_ARN_PARTS) return undefined;
  const [jsonKey, , versionId] = parts.slice(SECRET_ARN_PARTS);
  return {
    arn: parts.slice(0, SECRET_ARN_PARTS).join(':'),
    ...(jsonKey ? { jsonKey } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

/** `valueFrom` for one JSON key of a secret at one exact version. */
export function pinnedValueFrom(pin: SecretPin, key: string): string {
  return `${pin.arn}:${key}::${pin.versionId}`;
}

/** The Secrets Manager secrets a container references, grouped by secret and version, keys sorted. */
export function secretRefs(container: ContainerDefinition): SecretRef[] {
  const groups = new Map<string, SecretRef>();
  for (const secret of container.secrets ?? []) {
    const parsed = parseValueFrom(secret.valueFrom ?? '');
    if (!parsed) continue;
    const id = `${parsed.arn}\u0000${parsed.versionId ?? ''}`;
    const group = groups.get(id) ?? { arn: parsed.arn, ...(parsed.versionId ? { versionId: parsed.versionId } : {}), keys: [] };
    group.keys.push(secret.name ?? '');
    groups.set(id, group);
  }
  return [...groups.values()]
    .map((group) => ({ ...group, keys: [...group.keys].sort() }))
    .sort((a, b) => `${a.arn}:${a.versionId ?? ''}`.localeCompare(`${b.arn}:${b.versionId ?? ''}`));
}

/** The version ids referenced for one secret ARN. */
export function versionsOf(refs: readonly SecretRef[], secretArn: string): string[] {
  return [...new Set(refs.filter((ref) => ref.arn === secretArn).flatMap((ref) => (ref.versionId ? [ref.versionId] : [])))].sort();
}

/** The AWS managed key of Secrets Manager, as DescribeSecret may name it (it usually omits KmsKeyId for it). */
export const AWS_MANAGED_KEY = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias\/aws\/secretsmanager$/;
