/** `baton rollback`: which release it redeploys, and when it refuses. */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RecordItem } from '../../../../cli/deployments.ts';
import {
  ALIAS_ARN,
  baton,
  DEPLOYMENT_ID,
  DIGEST,
  dynamoMock,
  EXECUTION_ARN,
  givenLock,
  LOCK,
  OPERATOR_ARN,
  resetMocks,
  sfnMock,
  startInputs,
  TABLE,
} from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton rollback', () => {
  const ROLLBACK_ID = 'web-v1_4_1-20261120T101500Z';
  const ROLLBACK_KEY = { pk: `DEPLOYMENT#${ROLLBACK_ID}`, sk: 'RECORD' };
  const RELEASE: RecordItem = {
    deploymentId: ROLLBACK_ID,
    service: 'web',
    status: 'SUCCEEDED',
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${ROLLBACK_ID}`,
    startedAt: '2026-11-20T10:15:00.000Z',
    trigger: 'cli',
    endedAt: '2026-11-20T10:21:00.000Z',
    imageTag: 'v1.4.1',
    imageDigest: DIGEST,
    newTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:39',
  };

  function givenRelease(record: RecordItem | undefined): void {
    dynamoMock.on(GetCommand, { Key: ROLLBACK_KEY }).resolves(record ? { Item: { ...ROLLBACK_KEY, ...record } } : {});
  }

  it('starts a hotfix execution that redeploys the release --to names, by deployment id', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease(RELEASE);
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_ARN}-rb`, startDate: new Date() });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedNthCommandWith(GetCommand, 2, { TableName: TABLE, Key: ROLLBACK_KEY, ConsistentRead: true });
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const [input] = startInputs();
    expect(input?.stateMachineArn).toBe(ALIAS_ARN);
    expect(input?.name).toMatch(new RegExp(`^web-rollback-${ROLLBACK_ID}-[0-9a-z]+$`));
    expect(JSON.parse(input?.input ?? '')).toEqual({
      service: 'web',
      rollbackTo: ROLLBACK_ID,
      hotfix: true,
      dryRun: false,
      reason: `rollback to ${ROLLBACK_ID}`,
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
    expect(result.out).toBe(`Rolling web back to ${ROLLBACK_ID} (v1.4.1) as ${input?.name}\n`);
  });

  /** A successful release of web: deployment id, start time and task definition revision. */
  function succeeded(deploymentId: string, startedAt: string, revision: number, extra: Partial<RecordItem> = {}): RecordItem {
    return {
      ...RELEASE,
      deploymentId,
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${deploymentId}`,
      startedAt,
      endedAt: startedAt.replace(':00.000Z', ':30.000Z'),
      newTaskDefinitionArn: `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${revision}`,
      ...extra,
    };
  }

  /** The history query answers these records, newest first, and StartExecution succeeds. */
  function givenHistory(records: RecordItem[]): void {
    givenLock(undefined);
    dynamoMock.on(QueryCommand).resolves({ Items: records });
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: `${EXECUTION_ARN}-rb`, startDate: new Date() });
  }

  it('without --to, reads the newest 100 records of the service and rolls back to the release before the live one', async () => {
    // Arrange: [B, (a rolled-back deployment), A]
    const b = succeeded(DEPLOYMENT_ID, '2026-11-23T09:00:00.000Z', 42, { imageTag: 'v1.4.2' });
    const failed = succeeded('web-v1_4_2-20261122T080000Z', '2026-11-22T08:00:00.000Z', 41, { status: 'ROLLED_BACK' });
    givenHistory([b, failed, RELEASE]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(dynamoMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE,
      IndexName: 'byService',
      ExpressionAttributeValues: { ':pk': 'SERVICE#web' },
      ScanIndexForward: false,
      Limit: 100,
    });
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toEqual({
      service: 'web',
      rollbackTo: ROLLBACK_ID,
      hotfix: true,
      dryRun: false,
      reason: `rollback to ${ROLLBACK_ID}`,
      trigger: 'cli',
      requestedBy: OPERATOR_ARN,
    });
  });

  it('without --to, rolls back to the release before the one the live rollback restored, skipping both', async () => {
    // Arrange: [R (restores A, so runs A's task definition), B, A, X]
    const x = succeeded('web-v1_3_9-20261118T100000Z', '2026-11-18T10:00:00.000Z', 37, { imageTag: 'v1.3.9' });
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    const r = succeeded('web-rollback-20261121T100000Z', '2026-11-21T10:00:00.000Z', 38, { imageTag: 'v1.4.0', restores: a.deploymentId });
    givenHistory([r, b, a, x]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({
      rollbackTo: x.deploymentId,
      reason: `rollback to ${x.deploymentId}`,
    });
    expect(result.out).toBe(`Rolling web back to ${x.deploymentId} (v1.3.9) as ${startInputs()[0]?.name}\n`);
  });

  it('without --to, rolls back to A from [B, A]', async () => {
    // Arrange
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    givenHistory([b, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({ rollbackTo: a.deploymentId });
  });

  it('without --to, skips an older deployment of the same task definition as the live one', async () => {
    // Arrange: [B, B' (redeployed B's task definition), A]
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38, { imageTag: 'v1.4.0' });
    const bEarlier = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    const b = succeeded('web-v1_4_1-20261121T100000Z', '2026-11-21T10:00:00.000Z', 39, { imageTag: 'v1.4.1' });
    givenHistory([b, bEarlier, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(JSON.parse(startInputs()[0]?.input ?? '')).toMatchObject({ rollbackTo: a.deploymentId });
  });

  const SUGGESTION = 'Pick a revision from "baton history web" and run "baton rollback web --to <deployment-id>".\n';

  it('without --to, exits 3 without starting anything, saying why and suggesting --to, when nothing older than the restored release succeeded', async () => {
    // Arrange: [R (restores A), B, A]
    const a = succeeded('web-v1_4_0-20261119T100000Z', '2026-11-19T10:00:00.000Z', 38);
    const b = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39);
    const r = succeeded('web-rollback-20261121T100000Z', '2026-11-21T10:00:00.000Z', 38, { restores: a.deploymentId });
    givenHistory([r, b, a]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: web has nothing to roll back to: the live revision is ${r.deploymentId}, a rollback to ${a.deploymentId}, ` +
        `and no deployment older than ${a.deploymentId} succeeded.\n${SUGGESTION}`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('without --to, says the live revision is the only success, and suggests --to, when no older deployment succeeded', async () => {
    // Arrange: [B, (a rolled-back deployment)]
    const b = succeeded(DEPLOYMENT_ID, '2026-11-23T09:00:00.000Z', 42);
    const failed = succeeded('web-v1_4_1-20261122T080000Z', '2026-11-22T08:00:00.000Z', 41, { status: 'ROLLED_BACK' });
    givenHistory([b, failed]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      `baton: web has nothing to roll back to: the live revision is ${DEPLOYMENT_ID}, and no deployment older than that succeeded.\n${SUGGESTION}`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('without --to, says the older successes are rollbacks or the live task definition, and suggests --to', async () => {
    // Arrange: [B, R (a rollback), B' (B's task definition again)]
    const bEarlier = succeeded('web-v1_4_1-20261120T100000Z', '2026-11-20T10:00:00.000Z', 39);
    const r = succeeded('web-rollback-20261121T100000Z', '2026-11-21T10:00:00.000Z', 38, { restores: 'web-v1_3_0-20261101T100000Z' });
    const b = succeeded('web-v1_4_1-20261122T100000Z', '2026-11-22T10:00:00.000Z', 39);
    givenHistory([b, r, bEarlier]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(
      `baton: web has nothing to roll back to: the live revision is ${b.deploymentId}, ` +
        `and every older success is a rollback or runs the same task definition.\n${SUGGESTION}`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('without --to, says no deployment succeeded yet, and suggests --to, on a service without a success', async () => {
    // Arrange
    givenHistory([]);

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(`baton: web has nothing to roll back to: no deployment of it succeeded yet.\n${SUGGESTION}`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without starting anything when the release recorded no task definition', async () => {
    // Arrange
    givenLock(undefined);
    const { newTaskDefinitionArn: _none, ...withoutTaskDefinition } = RELEASE;
    givenRelease(withoutTaskDefinition);

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `baton: deployment ${ROLLBACK_ID} recorded no task definition; deploy its image instead: baton deploy web --digest <digest>\n`,
    );
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without starting anything when the release --to names did not succeed', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease({ ...RELEASE, status: 'ROLLED_BACK' });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(`baton: deployment ${ROLLBACK_ID} ended ROLLED_BACK; only a revision that succeeded can be rolled back to\n`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 3 without starting anything when --to names no deployment of the service', async () => {
    // Arrange
    givenLock(undefined);
    givenRelease({ ...RELEASE, service: 'api' });

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe(`baton: no deployment ${ROLLBACK_ID} of web; see "baton history web"\n`);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 4 without reading the release while another deployment of the service runs', async () => {
    // Arrange
    givenLock(LOCK);

    // Act
    const result = await baton('rollback', 'web', '--to', ROLLBACK_ID);

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: deployment ${DEPLOYMENT_ID} of web is running; stop it with "baton abort web" (it rolls back by itself)\n`,
    );
    expect(dynamoMock).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});
