/**
 * publishEvent: one PutEvents entry on the configured bus, nothing without a
 * bus, and a lost event is a warning, never an error.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEPLOYMENT_EVENT,
  type DeploymentEventDetail,
  DeploymentEventDetailSchema,
  PHASE_EVENT,
  type PhaseEventDetail,
  PhaseEventDetailSchema,
  publishEvent,
} from '../../../../../lambdas/shared/telemetry/events.ts';
import { rejectByDefault } from '../../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NEW_TAG, NOW, STARTED_AT } from '../../../../support/state.ts';
import { spyOnLogger } from '../../../../support/telemetry.ts';

const BUS = 'baton-production-events';

const PHASE_DETAIL: PhaseEventDetail = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  executionArn: EXECUTION_ARN,
  phase: 'checkStability',
  status: 'SUCCEEDED',
  startedAt: NOW,
  endedAt: isoAfter(NOW, 95),
  durationSeconds: 95,
  invocations: 7,
};

const DEPLOYMENT_DETAIL: DeploymentEventDetail = {
  deploymentId: DEPLOYMENT_ID,
  service: 'web',
  executionArn: EXECUTION_ARN,
  status: 'ROLLED_BACK',
  image: NEW_TAG,
  startedAt: STARTED_AT,
  endedAt: NOW,
  durationSeconds: 2,
  reason: 'GateFailedError: alarm web-5xx-rate is ALARM',
  evidence: ['failed in: Check bake'],
  consoleUrl: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`,
};

describe('publishEvent', () => {
  const eventsMock = mockClient(EventBridgeClient);

  beforeEach(() => {
    rejectByDefault(eventsMock);
    vi.stubEnv('BATON_EVENT_BUS_NAME', BUS);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('puts a phase event on the bus with source baton, the detail as JSON and the execution as resource', async () => {
    // Arrange
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    await publishEvent(PHASE_EVENT, PHASE_DETAIL);

    // Assert
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventsMock).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          Source: 'baton',
          DetailType: 'Baton Phase Changed',
          Detail: JSON.stringify(PHASE_DETAIL),
          EventBusName: BUS,
          Resources: [EXECUTION_ARN],
        },
      ],
    });
    const detail = JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '');
    expect(PhaseEventDetailSchema.parse(detail)).toEqual(PHASE_DETAIL);
  });

  it('puts a deployment event under the detail type "Baton Deployment Finished"', async () => {
    // Arrange
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });

    // Act
    await publishEvent(DEPLOYMENT_EVENT, DEPLOYMENT_DETAIL);

    // Assert
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            Source: 'baton',
            DetailType: 'Baton Deployment Finished',
            Detail: JSON.stringify(DEPLOYMENT_DETAIL),
            EventBusName: BUS,
            Resources: [EXECUTION_ARN],
          },
        ],
      },
    ]);
    const detail = JSON.parse(eventsMock.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '');
    expect(DeploymentEventDetailSchema.parse(detail)).toEqual(DEPLOYMENT_DETAIL);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
  ])('sends nothing when BATON_EVENT_BUS_NAME is %s', async (_case, bus) => {
    // Arrange
    vi.stubEnv('BATON_EVENT_BUS_NAME', bus);
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-3' }] });

    // Act
    await publishEvent(PHASE_EVENT, PHASE_DETAIL);

    // Assert
    expect(eventsMock).not.toHaveReceivedAnyCommand();
  });

  it('logs and does not throw when PutEvents fails', async () => {
    // Arrange
    const log = spyOnLogger();
    eventsMock
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: events:PutEvents'), { name: 'AccessDeniedException' }));

    // Act
    const published = publishEvent(PHASE_EVENT, PHASE_DETAIL);

    // Assert
    await expect(published).resolves.toBeUndefined();
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(log.warnings()).toEqual([
      [
        'event not delivered',
        { detailType: PHASE_EVENT, error: 'AccessDeniedException: User is not authorized to perform: events:PutEvents' },
      ],
    ]);
  });

  it('logs the error of a rejected entry and does not throw when FailedEntryCount is not 0', async () => {
    // Arrange
    const log = spyOnLogger();
    eventsMock
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }] });

    // Act
    const published = publishEvent(DEPLOYMENT_EVENT, DEPLOYMENT_DETAIL);

    // Assert
    await expect(published).resolves.toBeUndefined();
    expect(log.warnings()).toEqual([
      ['event not delivered', { detailType: DEPLOYMENT_EVENT, errorCode: 'InternalFailure', errorMessage: 'Internal service error' }],
    ]);
  });

  it('logs nothing when every entry was delivered', async () => {
    // Arrange
    const log = spyOnLogger();
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-4' }] });

    // Act
    await publishEvent(PHASE_EVENT, PHASE_DETAIL);

    // Assert
    expect(log.warnings()).toEqual([]);
  });
});
