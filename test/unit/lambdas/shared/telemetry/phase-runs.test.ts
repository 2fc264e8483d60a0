import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type PhaseRun, recordPhaseRun } from '../../../../../lambdas/shared/telemetry/phase-runs.ts';
import { conditionFailed, failure, rejectByDefault } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NOW, STARTED_AT } from '../../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const ENDED = isoAfter(NOW, 12);
/** The execution that wrote the record: its ARN and its start. */
const OWNER = { executionArn: EXECUTION_ARN, startedAt: STARTED_AT };
const UPDATE_ENTRY = 'attribute_exists(#phases.#p) AND #owner = :owner AND #started = :started';
const ADD_ENTRY = '#owner = :owner AND #started = :started AND attribute_exists(#phases) AND attribute_not_exists(#phases.#p)';
const CREATE_MAP = '#owner = :owner AND #started = :started AND attribute_not_exists(#phases)';

/** The attribute names an input declares that none of its expressions use (DynamoDB rejects those). */
function unusedNames(input: UpdateCommandInput | undefined): string[] {
  const expressions = `${input?.UpdateExpression ?? ''} ${input?.ConditionExpression ?? ''}`;
  return Object.keys(input?.ExpressionAttributeNames ?? {}).filter((name) => !new RegExp(`${name}(?![A-Za-z0-9_])`).test(expressions));
}

describe('recordPhaseRun', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);

  function updates(): UpdateCommandInput[] {
    return dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
  }

  beforeEach(() => {
    rejectByDefault(dynamoMock);
  });

  describe('when the phase already has an entry', () => {
    const stored: PhaseRun = { startedAt: isoAfter(NOW, -45), endedAt: ENDED, invocations: 4, result: 'succeeded' };

    beforeEach(() => {
      dynamoMock
        .on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: UPDATE_ENTRY })
        .resolves({ Attributes: { ...RECORD_KEY, status: 'IN_PROGRESS', phases: { checkStability: stored, deploy: { ...stored } } } });
    });

    it('sets the end and result, counts the invocation, drops an earlier error and returns the entry as it is now', async () => {
      // Arrange: the entry exists (beforeEach).

      // Act
      const entry = await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'checkStability', {
        startedAt: NOW,
        endedAt: ENDED,
        result: 'succeeded',
      });

      // Assert
      expect(updates()).toEqual([
        {
          TableName: TABLE,
          Key: RECORD_KEY,
          UpdateExpression:
            'SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one REMOVE #phases.#p.#error',
          ConditionExpression: UPDATE_ENTRY,
          ExpressionAttributeNames: {
            '#phases': 'phases',
            '#p': 'checkStability',
            '#owner': 'executionArn',
            '#started': 'startedAt',
            '#result': 'result',
            '#error': 'error',
          },
          ExpressionAttributeValues: { ':end': ENDED, ':result': 'succeeded', ':one': 1, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
          ReturnValues: 'ALL_NEW',
        },
      ]);
      expect(entry).toEqual(stored);
    });

    it('sets the error of a failed invocation instead of removing it', async () => {
      // Arrange: the entry exists (beforeEach).
      const error = 'GateFailedError: alarm web-5xx-rate is ALARM';

      // Act
      await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'checkStability', { startedAt: NOW, endedAt: ENDED, result: 'failed', error });

      // Assert
      expect(updates()).toEqual([
        {
          TableName: TABLE,
          Key: RECORD_KEY,
          UpdateExpression:
            'SET #phases.#p.endedAt = :end, #phases.#p.#result = :result, #phases.#p.invocations = #phases.#p.invocations + :one, #phases.#p.#error = :error',
          ConditionExpression: UPDATE_ENTRY,
          ExpressionAttributeNames: {
            '#phases': 'phases',
            '#p': 'checkStability',
            '#owner': 'executionArn',
            '#started': 'startedAt',
            '#result': 'result',
            '#error': 'error',
          },
          ExpressionAttributeValues: {
            ':end': ENDED,
            ':result': 'failed',
            ':one': 1,
            ':owner': EXECUTION_ARN,
            ':started': STARTED_AT,
            ':error': error,
          },
          ReturnValues: 'ALL_NEW',
        },
      ]);
    });

    it('declares only attribute names its expressions use', async () => {
      // Arrange: the entry exists (beforeEach).

      // Act
      await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' });
      await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', { startedAt: NOW, endedAt: ENDED, result: 'failed', error: 'E: m' });

      // Assert
      expect(updates().map(unusedNames)).toEqual([[], []]);
    });
  });

  describe('on the first invocation of the phase, when the record has a phases map', () => {
    beforeEach(() => {
      dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed());
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: ADD_ENTRY }).resolves({});
    });

    it('adds the entry with one invocation and returns it', async () => {
      // Arrange: no entry for deploy (beforeEach).

      // Act
      const entry = await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', { startedAt: NOW, endedAt: ENDED, result: 'waiting' });

      // Assert
      const added = { startedAt: NOW, endedAt: ENDED, invocations: 1, result: 'waiting' };
      expect(updates()[1]).toEqual({
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression: 'SET #phases.#p = :entry',
        ConditionExpression: ADD_ENTRY,
        ExpressionAttributeNames: { '#phases': 'phases', '#p': 'deploy', '#owner': 'executionArn', '#started': 'startedAt' },
        ExpressionAttributeValues: { ':entry': added, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
      });
      expect(updates()).toHaveLength(2);
      expect(entry).toEqual(added);
      expect(unusedNames(updates()[1])).toEqual([]);
    });

    it('puts the error of a failed first invocation into the entry', async () => {
      // Arrange: no entry for deploy (beforeEach).

      // Act
      const entry = await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', {
        startedAt: NOW,
        endedAt: ENDED,
        result: 'failed',
        error: 'ServiceNotFoundException: Service not found.',
      });

      // Assert
      const added = {
        startedAt: NOW,
        endedAt: ENDED,
        invocations: 1,
        result: 'failed',
        error: 'ServiceNotFoundException: Service not found.',
      };
      expect(updates()[1]?.ExpressionAttributeValues).toEqual({ ':entry': added, ':owner': EXECUTION_ARN, ':started': STARTED_AT });
      expect(entry).toEqual(added);
    });
  });

  describe('on the first invocation of a phase, when the record has no phases map yet', () => {
    const added = { startedAt: NOW, endedAt: ENDED, invocations: 1, result: 'succeeded' };

    beforeEach(() => {
      dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed());
      dynamoMock.on(UpdateCommand, { ConditionExpression: ADD_ENTRY }).rejects(conditionFailed());
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY, ConditionExpression: CREATE_MAP }).resolves({});
    });

    it('creates the map holding the entry and returns the entry', async () => {
      // Arrange: no phases map (beforeEach).

      // Act
      const entry = await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'validate', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' });

      // Assert
      expect(updates().map((input) => input.ConditionExpression)).toEqual([UPDATE_ENTRY, ADD_ENTRY, CREATE_MAP]);
      const { ExpressionAttributeNames: _names, ...create } = updates()[2] ?? {};
      expect(create).toEqual({
        TableName: TABLE,
        Key: RECORD_KEY,
        UpdateExpression: 'SET #phases = :map',
        ConditionExpression: CREATE_MAP,
        ExpressionAttributeValues: { ':map': { validate: added }, ':owner': EXECUTION_ARN, ':started': STARTED_AT },
      });
      expect(updates()[2]?.ExpressionAttributeNames).toMatchObject({ '#phases': 'phases' });
      expect(entry).toEqual(added);
    });

    // Product bug (lambdas/shared/telemetry/phase-runs.ts, the `expression.includes('#p')` of the loop):
    // '#phases' contains '#p', so the create-map update also declares '#p', which its expressions do not
    // use. DynamoDB rejects that (ValidationException: "Value provided in ExpressionAttributeNames unused
    // in expressions: keys: {#p}"), so no record ever gets its phases map. Remove `.fails` once fixed.
    it('declares only the attribute name the create-map update uses (known bug, see comment)', async () => {
      // Arrange: no phases map (beforeEach).

      // Act
      await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'validate', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' });

      // Assert
      expect(updates()[2]?.ExpressionAttributeNames).toEqual({ '#phases': 'phases', '#owner': 'executionArn', '#started': 'startedAt' });
    });
  });

  it('returns undefined after the three updates when the deployment has no record (a dry run)', async () => {
    // Arrange
    dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RECORD_KEY }).rejects(conditionFailed());

    // Act
    const entry = await recordPhaseRun(DEPLOYMENT_ID, OWNER, 'validate', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' });

    // Assert
    expect(entry).toBeUndefined();
    expect(updates().map((input) => input.ConditionExpression)).toEqual([UPDATE_ENTRY, ADD_ENTRY, CREATE_MAP]);
  });

  it('throws an error other than a failed condition without trying the other updates', async () => {
    // Arrange
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
    });
    dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(throttled);

    // Act
    const error = await failure(recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' }));

    // Assert
    expect(error).toBe(throttled);
    expect(updates()).toHaveLength(1);
  });

  it('throws an error other than a failed condition of the add-entry update', async () => {
    // Arrange
    const denied = Object.assign(new Error('not authorized to perform: dynamodb:UpdateItem'), { name: 'AccessDeniedException' });
    dynamoMock.on(UpdateCommand, { ConditionExpression: UPDATE_ENTRY }).rejects(conditionFailed());
    dynamoMock.on(UpdateCommand, { ConditionExpression: ADD_ENTRY }).rejects(denied);

    // Act
    const error = await failure(recordPhaseRun(DEPLOYMENT_ID, OWNER, 'deploy', { startedAt: NOW, endedAt: ENDED, result: 'succeeded' }));

    // Assert
    expect(error).toBe(denied);
    expect(updates()).toHaveLength(2);
  });
});
