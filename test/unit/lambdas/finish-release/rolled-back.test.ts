import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/finish-release/index.ts';
import { conditionFailed, updatedFields } from '../../../support/aws.ts';
import {
  deploymentIdOf,
  dynamoMock,
  EXECUTION_ARN,
  eventsMock,
  givenRecords,
  givenRelease,
  RELEASE,
  RELEASE_ID,
  RELEASE_KEY,
  releaseUpdate,
  snsMock,
  TABLE,
  useOpenRelease,
} from '../../../support/finish-release.ts';
import { NOW } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

const STABILITY_MESSAGE = 'worker-green did not reach a steady state by 2025-03-04T09:59:00.000Z: 1/2 tasks running';
/** What record-failure noted when worker failed in Check stability. */
const WORKER_CAUSE = {
  service: 'worker',
  deploymentId: deploymentIdOf('worker'),
  failedPhase: 'Check stability',
  error: 'StabilityTimeoutError',
  message: STABILITY_MESSAGE,
};

describe('finish release', () => {
  const metrics = useOpenRelease();

  describe('rolled back, after worker failed in Check stability', () => {
    beforeEach(() => {
      givenRelease({ cause: WORKER_CAUSE, rollingBack: ['worker', 'api'], untouched: ['web'] });
      givenRecords({ api: 'ROLLED_BACK', web: 'REJECTED', worker: 'ROLLED_BACK' });
    });

    function rolledBack() {
      return {
        kind: 'rolled-back' as const,
        state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [], cause: WORKER_CAUSE, untouched: ['web'] },
      };
    }

    it('ends the release ROLLED_BACK naming the cause, the rolled back order and the untouched services', async () => {
      // Arrange: both rollbacks succeeded (beforeEach).

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web`;
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'ROLLED_BACK', error: 'StabilityTimeoutError', cause: reason } });
      const update = releaseUpdate();
      // ROLLED_BACK may replace ROLLBACK_FAILED: a later attempt got traffic back.
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running OR #f_owner = :owner AND #f_started = :started AND #f_status = :rollbackFailed',
      );
      expect(updatedFields(update)).toMatchObject({
        status: 'ROLLED_BACK',
        outcomeReason: reason,
        cause: WORKER_CAUSE,
        rolledBack: ['worker', 'api'],
        untouched: ['web'],
        endedAt: NOW,
      });
    });

    it('ends the release REJECTED when no service had changed (a release stopped before its first change)', async () => {
      // Arrange
      givenRelease({ cause: WORKER_CAUSE, rollingBack: [], untouched: ['worker', 'web', 'api'] });

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} stopped because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; no service had changed; untouched: worker, web, api`;
      expect(result.outcome).toEqual({ status: 'REJECTED', error: 'StabilityTimeoutError', cause: reason });
      expect(updatedFields(releaseUpdate())).toMatchObject({ status: 'REJECTED', outcomeReason: reason, rolledBack: [] });
    });

    it('ends the release ROLLBACK_FAILED naming the service whose record is not ROLLED_BACK', async () => {
      // Arrange
      givenRecords({ api: 'ROLLBACK_FAILED' });

      // Act
      const result = await handler(rolledBack());

      // Assert
      const reason = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web; ROLLBACK FAILED for api: check their listener weights`;
      expect(result.outcome).toEqual({ status: 'ROLLBACK_FAILED', error: 'StabilityTimeoutError', cause: reason });
      const update = releaseUpdate();
      expect(update.ConditionExpression).toBe(
        'attribute_not_exists(pk) OR #f_owner = :owner AND #f_started = :started AND #f_status = :running',
      );
      expect(updatedFields(update)).toMatchObject({ status: 'ROLLBACK_FAILED', outcomeReason: reason });
    });

    it('announces the verdict with the cause and the rolled back order as evidence', async () => {
      // Arrange: both rollbacks succeeded (beforeEach).

      // Act
      await handler(rolledBack());

      // Assert
      const detail = JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}') as Record<
        string,
        unknown
      >;
      expect(detail).toMatchObject({ releaseId: RELEASE_ID, status: 'ROLLED_BACK', cause: WORKER_CAUSE, durationSeconds: 1800 });
      const message = snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '';
      expect(message.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
        '  - order: api -> web + worker',
        `  - cause: worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}`,
        '  - rolled back: worker -> api',
        '  - untouched: web',
        `  - api: deployment ${deploymentIdOf('api')}`,
        `  - web: deployment ${deploymentIdOf('web')}`,
        `  - worker: deployment ${deploymentIdOf('worker')}`,
      ]);
    });
  });

  describe('a second call, once the release record has ended', () => {
    const STORED_REASON = `release ${RELEASE} rolled back because worker failed in Check stability: StabilityTimeoutError: ${STABILITY_MESSAGE}; rolled back worker -> api; untouched: web`;

    beforeEach(() => {
      givenRelease({
        status: 'ROLLED_BACK',
        cause: WORKER_CAUSE,
        rollingBack: ['worker', 'api'],
        rolledBack: ['worker', 'api'],
        untouched: ['web'],
        outcomeReason: STORED_REASON,
        endedAt: '2025-03-04T09:58:00.000Z',
      });
      givenRecords({ api: 'ROLLED_BACK', web: 'REJECTED', worker: 'ROLLED_BACK' });
      dynamoMock.on(UpdateCommand, { TableName: TABLE, Key: RELEASE_KEY }).rejects(conditionFailed());
    });

    it('announces nothing: no event, no notification, no metric', async () => {
      // Arrange: the release already ended ROLLED_BACK (beforeEach).

      // Act
      await handler({ kind: 'rolled-back', state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [] } });

      // Assert
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
      expect(metricNames(metrics())).toEqual([]);
    });

    it('returns the verdict the record holds', async () => {
      // Arrange: the release already ended ROLLED_BACK (beforeEach).

      // Act
      const result = await handler({ kind: 'rolled-back', state: { releaseId: RELEASE_ID, executionArn: EXECUTION_ARN, rollbacks: [] } });

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: { status: 'ROLLED_BACK', error: 'StabilityTimeoutError', cause: STORED_REASON },
      });
      expect(dynamoMock.commandCalls(GetCommand, { Key: RELEASE_KEY })).toHaveLength(2);
    });
  });
});
