/** Secrets Manager: the secrets' versions and their staging labels. */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { getSecretValueVersionIdViolation } from '../limits.ts';
import type { AccountModel } from '../model.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

function secretNamed(m: AccountModel, secretId: string | undefined) {
  const secret = m.secrets[secretId ?? ''];
  if (!secret) throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...errorMeta(400) });
  return secret;
}

function describeSecret(m: AccountModel, input: { SecretId?: string }) {
  const secret = secretNamed(m, input.SecretId);
  return {
    ...META,
    ARN: input.SecretId,
    Name: input.SecretId?.split(':').pop(),
    ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
    VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
  };
}

function getSecretValue(m: AccountModel, input: { SecretId?: string; VersionId?: string; VersionStage?: string }) {
  // Input validation comes before any look-up: a malformed VersionId fails even for a secret that does not exist.
  const invalid = getSecretValueVersionIdViolation(input.VersionId);
  if (invalid) throw new SecretsManagerServiceException({ ...invalid, $fault: 'client', ...errorMeta(400) });
  const secret = secretNamed(m, input.SecretId);
  const stage = input.VersionStage ?? (input.VersionId ? undefined : 'AWSCURRENT');
  const version = secret.versions.find((v) => (input.VersionId ? v.versionId === input.VersionId : v.stages.includes(stage ?? '')));
  if (!version)
    throw new ResourceNotFoundException({
      message: input.VersionId
        ? `Secrets Manager can't find the specified secret value for VersionId: ${input.VersionId}`
        : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
      ...errorMeta(400),
    });
  return {
    ...META,
    ARN: input.SecretId,
    Name: input.SecretId?.split(':').pop(),
    VersionId: version.versionId,
    VersionStages: [...version.stages],
    SecretString: JSON.stringify(version.value),
  };
}

export function installSecretsManager({ model: m, stubs, route }: ServiceSetup): void {
  const secrets = stubs.stub(SecretsManagerClient);
  secrets
    .on(DescribeSecretCommand)
    .callsFake(route('secretsmanager', 'DescribeSecret', (input: { SecretId?: string }) => describeSecret(m, input)));
  secrets
    .on(GetSecretValueCommand)
    .callsFake(
      route('secretsmanager', 'GetSecretValue', (input: { SecretId?: string; VersionId?: string; VersionStage?: string }) =>
        getSecretValue(m, input),
      ),
    );
}
