/**
 * The limits the simulated account enforces, each failing the way the real
 * service fails: the same error name, the same message. Pure functions over
 * request values, so the services (services/) and the account schema
 * (schema.ts) share them. Execution names: execution-names.ts.
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
const SECRET_VERSION_ID_MIN_LENGTH = 32;
const SECRET_VERSION_ID_MAX_LENGTH = 64;
/**
 * Secrets Manager's API reference documents no pattern for VersionId, only the
 * length. The account file holds ids to the character set AWS documents for a
 * Secrets Manager version id where it does give one (letters, digits, '-' and
 * '_': SecretsManager.versionId, Pattern [a-zA-Z0-9-_]+, in the IoT managed
 * integrations API reference), which is also what fits in an ECS `valueFrom`
 * (colon-separated) unambiguously.
 */
const SECRET_VERSION_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

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

// DynamoDB --------------------------------------------------------------------

/**
 * "The maximum item size in DynamoDB is 400 KB, which includes both attribute
 * name binary length (UTF-8 length) and attribute value lengths", and "all
 * size measurements in DynamoDB use binary-based units": 400 × 1024 bytes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items).
 */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;
/** Partition key values are 1 to 2048 bytes, sort key values 1 to 1024 bytes (Constraints.html#limits-partition-sort-keys). */
const DYNAMODB_MAX_PARTITION_KEY_BYTES = 2048;
const DYNAMODB_MAX_SORT_KEY_BYTES = 1024;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** A number's size: 1 byte per two significant digits, plus 1 (leading and trailing zeroes trimmed). */
function numberBytes(value: number | bigint): number {
  const digits = String(value)
    .replace(/^-/, '')
    .replace(/e[+-]?\d+$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/**
 * The size of one attribute value as DynamoDB counts it (without its name):
 * strings their UTF-8 bytes, numbers per significant digits, binary its raw
 * bytes, null and booleans 1 byte, a List or Map 3 bytes of overhead plus 1
 * byte per element plus its elements (a Map's element counts its key's name
 * too); a set the sum of its members. Values as the document client takes
 * them (undefined is dropped, as the document client drops it).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export function attributeValueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce<number>((sum, member) => sum + attributeValueBytes(member), 0);
  if (Array.isArray(value)) return value.reduce<number>((sum, element) => sum + 1 + attributeValueBytes(element), 3);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, element]) => element !== undefined)
      .reduce((sum, [name, element]) => sum + 1 + utf8Bytes(name) + attributeValueBytes(element), 3);
  }
  return 0;
}

/** An item's size: the UTF-8 length of each attribute name plus the size of its value. */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item)
    .filter(([, value]) => value !== undefined)
    .reduce((sum, [name, value]) => sum + utf8Bytes(name) + attributeValueBytes(value), 0);
}

/**
 * PutItem of an item over 400 KB, or UpdateItem whose item would be over 400 KB
 * once updated: ValidationException. The two operations word it differently;
 * "Item size to update has exceeded the maximum allowed size" is in UpdateItem's
 * list of ValidationException causes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_Errors).
 */
export function itemSizeViolation(
  item: Readonly<Record<string, unknown>>,
  operation: 'PutItem' | 'UpdateItem',
): LimitViolation | undefined {
  if (dynamoItemBytes(item) <= DYNAMODB_MAX_ITEM_BYTES) return undefined;
  return {
    name: 'ValidationException',
    message:
      operation === 'UpdateItem'
        ? 'Item size to update has exceeded the maximum allowed size'
        : 'Item size has exceeded the maximum allowed size',
  };
}

/**
 * A key value over its limit: ValidationException. The partition key message
 * has no space between "of" and the number, as DynamoDB sends it.
 */
export function keySizeViolation(
  key: Readonly<Record<string, unknown>>,
  names: { readonly partitionKey: string; readonly sortKey?: string },
): LimitViolation | undefined {
  const partition = key[names.partitionKey];
  if (partition !== undefined && attributeValueBytes(partition) > DYNAMODB_MAX_PARTITION_KEY_BYTES) {
    return {
      name: 'ValidationException',
      message: `One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of${DYNAMODB_MAX_PARTITION_KEY_BYTES} bytes`,
    };
  }
  const sort = names.sortKey === undefined ? undefined : key[names.sortKey];
  if (sort !== undefined && attributeValueBytes(sort) > DYNAMODB_MAX_SORT_KEY_BYTES) {
    return {
      name: 'ValidationException',
      message: `One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of ${DYNAMODB_MAX_SORT_KEY_BYTES} bytes`,
    };
  }
  return undefined;
}

// SNS -------------------------------------------------------------------------

/**
 * Publish: "The total size limit for a single Publish action is 256 KB
 * (262,144 bytes, not 262,144 characters)"; a longer Message fails with
 * InvalidParameter "Invalid parameter: Message too long".
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const SNS_MAX_MESSAGE_BYTES = 262_144;
/**
 * Publish Subject: "must be ASCII text that begins with a letter, number, or
 * punctuation mark; must not include line breaks or control characters; and
 * must be less than 100 characters long" (API_Publish.html). SNS itself takes
 * 100 and refuses 101 with "Invalid parameter: Subject" (measured, moto issue
 * #1503); so do we.
 */
const SNS_MAX_SUBJECT_LENGTH = 100;

export function publishViolation(input: { readonly Subject?: string; readonly Message?: string }): LimitViolation | undefined {
  if (input.Message !== undefined && Buffer.byteLength(input.Message, 'utf8') > SNS_MAX_MESSAGE_BYTES) {
    return { name: 'InvalidParameterException', message: 'Invalid parameter: Message too long' };
  }
  const subject = input.Subject;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SNS refuses in a subject.
  if (subject !== undefined && (subject.length > SNS_MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(subject))) {
    return { name: 'InvalidParameterException', message: 'Invalid parameter: Subject' };
  }
  return undefined;
}

// EventBridge -----------------------------------------------------------------

/** PutEvents takes 1 to 10 entries (API_PutEvents.html, Entries: "Array Members: Minimum number of 1 item. Maximum number of 10 items."). */
const PUT_EVENTS_MAX_ENTRIES = 10;
/**
 * The total entry size of one PutEvents request. It was 256 KB until
 * 2026-01-29, when AWS raised it to 1 MB ("Amazon EventBridge increases event
 * payload size from 256 KB to 1 MB", What's New, January 2026) in every
 * commercial Region except Asia Pacific (New Zealand, Thailand, Malaysia,
 * Taipei) and Mexico (Central), which keep 256 KB. Measured: exactly
 * 1,048,576 bytes is accepted, one more is refused.
 */
const PUT_EVENTS_MAX_REQUEST_BYTES = 1024 * 1024;
const PUT_EVENTS_MAX_REQUEST_BYTES_LEGACY = 256 * 1024;
const PUT_EVENTS_LEGACY_REGIONS: ReadonlySet<string> = new Set([
  'ap-southeast-6', // Asia Pacific (New Zealand)
  'ap-southeast-7', // Asia Pacific (Thailand)
  'ap-southeast-5', // Asia Pacific (Malaysia)
  'ap-east-2', // Asia Pacific (Taipei)
  'mx-central-1', // Mexico (Central)
]);

export function putEventsMaxRequestBytes(region: string): number {
  return PUT_EVENTS_LEGACY_REGIONS.has(region) ? PUT_EVENTS_MAX_REQUEST_BYTES_LEGACY : PUT_EVENTS_MAX_REQUEST_BYTES;
}

export interface PutEventsEntry {
  readonly Time?: Date | string | number;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  readonly TraceHeader?: string;
}

/**
 * An entry's size as EventBridge computes it: Time 14 bytes if given; Source,
 * DetailType, Detail and each of Resources their UTF-8 bytes.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function putEventsEntryBytes(entry: PutEventsEntry): number {
  const bytes = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time !== undefined ? 14 : 0) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}

/** An entry as EventBridge's request validation prints it (the service's Java toString of PutEventsRequestEntry). */
function entryAsPrinted(entry: PutEventsEntry): string {
  const value = (field: string | undefined) => field ?? 'null';
  const time = entry.Time === undefined ? 'null' : String(entry.Time instanceof Date ? entry.Time.toISOString() : entry.Time);
  const resources = entry.Resources ? `[${entry.Resources.join(', ')}]` : 'null';
  return `PutEventsRequestEntry(time=${time}, source=${value(entry.Source)}, resources=${resources}, detailType=${value(entry.DetailType)}, detail=${value(entry.Detail)}, eventBusName=${value(entry.EventBusName)}, traceHeader=${value(entry.TraceHeader)}, kmsKeyIdentifier=null, internalMetadata=null)`;
}

/**
 * What fails a whole PutEvents request, in the order EventBridge checks:
 * more than 10 entries (input validation, which echoes the entries), then the
 * total entry size ("Total size of the entries in the request is over the
 * limit.", ValidationException, as AWS sends it: see aws-service-catalog-puppet
 * issue #563 and LocalStack's EventBridge provider, snapshot-tested against AWS).
 */
export function putEventsViolation(entries: readonly PutEventsEntry[], region: string): LimitViolation | undefined {
  if (entries.length > PUT_EVENTS_MAX_ENTRIES) {
    return {
      name: 'ValidationException',
      message: `1 validation error detected: Value '[${entries.map(entryAsPrinted).join(', ')}]' at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_MAX_ENTRIES}`,
    };
  }
  const total = entries.reduce((sum, entry) => sum + putEventsEntryBytes(entry), 0);
  if (total > putEventsMaxRequestBytes(region)) {
    return { name: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' };
  }
  return undefined;
}

/**
 * A per-entry failure: the request succeeds, the entry is not put, and the
 * response's entry carries ErrorCode and ErrorMessage (FailedEntryCount counts
 * it). Detail must be a JSON object: anything else is "MalformedDetail".
 */
export function putEventsEntryFailure(entry: PutEventsEntry): { readonly ErrorCode: string; readonly ErrorMessage: string } | undefined {
  if (!entry.Source) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' };
  }
  if (!entry.DetailType) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' };
  }
  if (!entry.Detail) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' };
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) return undefined;
  } catch {
    // Not JSON: malformed, as below.
  }
  return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
}
