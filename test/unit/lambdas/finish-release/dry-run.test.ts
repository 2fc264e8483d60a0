import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/finish-release/index.ts';
import {
  dynamoMock,
  EXECUTION_ARN,
  eventsMock,
  IMAGE_MESSAGE,
  RELEASE,
  RELEASE_ID,
  RELEASE_INPUT,
  releaseState,
  STARTED_AT,
  snsMock,
  useOpenRelease,
} from '../../../support/finish-release.ts';
import { caughtLambdaError } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

describe('finish release', () => {
  const metrics = useOpenRelease();

  describe('rejected, a dry run', () => {
    const DRY_RUN_INPUT = { ...RELEASE_INPUT, shift: 'each', dryRun: true };
    /** What the Validate services Map fails with once record failure named web in the cause (a plain string, not JSON). */
    const WEB_REFUSAL = { Error: 'ImageNotFoundError', Cause: `web failed in Validate (release): ${IMAGE_MESSAGE}` };

    function rejectedDryRun() {
      return {
        kind: 'rejected' as const,
        state: releaseState({ request: DRY_RUN_INPUT, order: [['api'], ['web', 'worker']], error: WEB_REFUSAL }),
      };
    }

    it('returns REJECTED with the error and a cause naming the release, the service and the state that failed', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      const result = await handler(rejectedDryRun());

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: {
          status: 'REJECTED',
          error: 'ImageNotFoundError',
          cause: `release ${RELEASE} dry run refused: ImageNotFoundError: web failed in Validate (release): ${IMAGE_MESSAGE}`,
        },
      });
    });

    it('sends no DynamoDB command at all: no read of the release record, no write, no lock freed', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      await handler(rejectedDryRun());

      // Assert
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });

    it('announces nothing: no notification, no event, no metric', async () => {
      // Arrange: web failed validation in a dry run.

      // Act
      await handler(rejectedDryRun());

      // Assert
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
      expect(eventsMock).not.toHaveReceivedAnyCommand();
      expect(metricNames(metrics())).toEqual([]);
    });

    it('returns REJECTED under the execution name when plan release refused the dry run, and writes nothing', async () => {
      // Arrange: plan release failed on a dry run naming an unknown service; no release id yet.
      const message = 'invalid release input: services: "billing" is not configured (known: api, worker, web)';
      const input = {
        kind: 'rejected' as const,
        state: {
          request: { ...RELEASE_INPUT, services: { billing: { imageTag: 'v1' } }, dryRun: true },
          deploymentId: RELEASE_ID,
          executionArn: EXECUTION_ARN,
          startedAt: STARTED_AT,
          error: caughtLambdaError('UnknownServiceError', message),
        },
      };

      // Act
      const result = await handler(input);

      // Assert
      expect(result).toEqual({
        releaseId: RELEASE_ID,
        outcome: {
          status: 'REJECTED',
          error: 'UnknownServiceError',
          cause: `release ${RELEASE} dry run refused: UnknownServiceError: ${message}`,
        },
      });
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });
  });
});
