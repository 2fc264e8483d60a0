import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../../lambdas/finish-release/index.ts';
import { updatedFields } from '../../../support/aws.ts';
import {
  BUS,
  deploymentIdOf,
  EXECUTION_ARN,
  EXPIRES_AT,
  eventsMock,
  NAMES,
  RELEASE,
  RELEASE_ID,
  releaseState,
  releaseUpdate,
  STARTED_AT,
  snsMock,
  TOPIC_ARN,
  useOpenRelease,
} from '../../../support/finish-release.ts';
import { NOW } from '../../../support/state.ts';
import { metricNames } from '../../../support/telemetry.ts';

const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;

describe('finish release', () => {
  const metrics = useOpenRelease();

  describe('succeeded', () => {
    const REASON = `release ${RELEASE} live: api v1.1.0, web v1.4.2, worker v2.4.0`;

    it('ends the release SUCCEEDED naming the services and images in deploy order', async () => {
      // Arrange: the release record is in progress (beforeEach).

      // Act
      const result = await handler({ kind: 'succeeded', state: releaseState() });

      // Assert
      expect(result).toEqual({ releaseId: RELEASE_ID, outcome: { status: 'SUCCEEDED', error: 'None', cause: REASON } });
      expect(updatedFields(releaseUpdate())).toMatchObject({
        status: 'SUCCEEDED',
        outcomeReason: REASON,
        endedAt: NOW,
        expiresAt: EXPIRES_AT,
      });
    });

    it('announces the verdict once: the event, the notification and the metrics', async () => {
      // Arrange: the release record is in progress (beforeEach).

      // Act
      await handler({ kind: 'succeeded', state: releaseState() });

      // Assert
      expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
      const entry = eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
      expect({ ...entry, Detail: JSON.parse(entry?.Detail ?? '{}') }).toEqual({
        Source: 'baton',
        DetailType: 'Baton Release Finished',
        EventBusName: BUS,
        Resources: [EXECUTION_ARN],
        Detail: {
          releaseId: RELEASE_ID,
          release: RELEASE,
          executionArn: EXECUTION_ARN,
          status: 'SUCCEEDED',
          services: Object.fromEntries(NAMES.map((name) => [name, deploymentIdOf(name)])),
          startedAt: STARTED_AT,
          endedAt: NOW,
          durationSeconds: 1800,
          reason: REASON,
          consoleUrl: CONSOLE_URL,
        },
      });
      expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
        TopicArn: TOPIC_ARN,
        Subject: `Baton: release ${RELEASE} api v1.1.0, web v1.4.2, worker v2.4.0 SUCCEEDED`,
      });
      expect(metricNames(metrics())).toEqual(['ReleaseSucceeded', 'ReleaseDuration']);
    });
  });
});
