/**
 * The limits the simulated account enforces, each failing the way the real
 * service fails: the same error name, the same message. Pure functions over
 * request values (and, for execution names, the account model), so the API
 * layer (api.ts), the account schema (schema.ts) and the engine share them.
 */

/** The error a limit raises: `name` is the AWS error code the SDK would expose as `error.name`. */
export interface LimitViolation {
  readonly name: string;
  readonly message: string;
}

// Secrets Manager -------------------------------------------------------------

/**
 * Secrets Manager version ids are 32 to 64 characters: "Length Constraints:
 * Minimum length of 32. Maximum length of 64." (GetSecretValue VersionId,
 * SecretValueEntry.VersionId, DescribeSecret VersionIdsToStages keys;
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
 * In practice a UUID ("typically a UUID-type value with 32 hexadecimal
 * digits"): the SDKs and the CLI generate the ClientRequestToken that becomes
 * the VersionId as a UUID.
 */
export const SECRET_VERSION_ID_MIN_LENGTH = 32;
export const SECRET_VERSION_ID_MAX_LENGTH = 64;
/**
 * Secrets Manager's API reference documents no pattern for VersionId, only the
 * length. The account file holds ids to the character set AWS documents for a
 * Secrets Manager version id where it does give one (letters, digits, '-' and
 * '_': SecretsManager.versionId, Pattern [a-zA-Z0-9-_]+, in the IoT managed
 * integrations API reference), which is also what fits in an ECS `valueFrom`
 * (colon-separated) unambiguously.
 */
export const SECRET_VERSION_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Why `versionId` is not a Secrets Manager version id an account file may hold; undefined when it is one. */
export function secretVersionIdProblem(versionId: string): string | undefined {
  const length = versionId.length;
  if (length < SECRET_VERSION_ID_MIN_LENGTH || length > SECRET_VERSION_ID_MAX_LENGTH || !SECRET_VERSION_ID_PATTERN.test(versionId)) {
    return `versionId must be ${SECRET_VERSION_ID_MIN_LENGTH} to ${SECRET_VERSION_ID_MAX_LENGTH} characters of letters, digits, '-' and '_' (Secrets Manager's version ids are UUIDs in practice, e.g. 20261120-0000-4000-8000-000000000001); got '${versionId}' (${length} characters)`;
  }
  return undefined;
}

/**
 * GetSecretValue with a VersionId outside 32..64 characters: Secrets Manager
 * answers with its framework's input validation, a ValidationException
 * ("com.amazon.AWSMimirService#ValidationException", as aws-sdk-js-v3 issue
 * #1215 shows for GetSecretValue) whose message is the usual "1 validation
 * error detected: Value ... at 'versionId' failed to satisfy constraint: ..."
 * (the same form aws-sdk-kotlin issue #1469 shows for GetSecretValue's
 * secretId). Not InvalidParameterException: that one is the service's own
 * check of a well-formed request.
 */
export function getSecretValueVersionIdViolation(versionId: string | undefined): LimitViolation | undefined {
  if (versionId === undefined) return undefined;
  const constraint =
    versionId.length < SECRET_VERSION_ID_MIN_LENGTH
      ? `Member must have length greater than or equal to ${SECRET_VERSION_ID_MIN_LENGTH}`
      : versionId.length > SECRET_VERSION_ID_MAX_LENGTH
        ? `Member must have length less than or equal to ${SECRET_VERSION_ID_MAX_LENGTH}`
        : undefined;
  if (!constraint) return undefined;
  return {
    name: 'ValidationException',
    message: `1 validation error detected: Value '${versionId}' at 'versionId' failed to satisfy constraint: ${constraint}`,
  };
}
