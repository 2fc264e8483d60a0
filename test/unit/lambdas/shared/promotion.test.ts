/**
 * A traffic step that waits for `baton promote` (lambdas/shared/promotion.ts):
 * the record notes the wait once and the people are told once; the end of the
 * wait is recorded once, with the promotion that ended it.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PromotionRequest } from '../../../../lambdas/shared/lock/table.ts';
import {
  announcePromotionWait,
  closePromotionWait,
  holdStart,
  promotionWaitOf,
  recordPromotion,
} from '../../../../lambdas/shared/promotion.ts';
import { type VerifiedState, VerifiedStateSchema } from '../../../../lambdas/shared/stages.ts';
import { conditionFailed, rejectByDefault } from '../../../support/aws.ts';
import { DEPLOYMENT_ID, EXECUTION_ARN, isoAfter, NEW_TAG, NOW, STARTED_AT, stateAfter } from '../../../support/state.ts';

const TABLE = 'baton-test-deployments';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const CONSOLE_URL = `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${EXECUTION_ARN}`;
const UNTIL = isoAfter(NOW, 7_200);
const OWNER_NAMES = { '#owner': 'executionArn', '#started': 'startedAt' };
const OWNER_VALUES = { ':owner': EXECUTION_ARN, ':started': STARTED_AT };

/** The wait the record notes for the state of holding(): step 1 of 3, green at 10 %. */
const WAIT = { step: 1, of: 3, colour: 'green', weight: 10, since: NOW, until: UNTIL, onTimeout: 'proceed' };

const PROMOTION: PromotionRequest = {
  deploymentId: DEPLOYMENT_ID,
  step: 1,
  full: true,
  by: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob',
  at: isoAfter(NOW, 600),
  reason: 'canary looks good',
};

/** Green at 10 %, the first step of 10 (waits for promotion 2 h, then proceeds) / 50 / 100, held since NOW. */
function holding(traffic: Partial<VerifiedState['traffic']> = {}, strategySteps?: unknown[]): VerifiedState {
  return VerifiedStateSchema.parse({
    ...stateAfter('verify'),
    strategy: {
      type: 'steps',
      steps: strategySteps ?? [
        { weight: 10, pause: 'approval', timeoutSeconds: 7_200, onTimeout: 'proceed' },
        { weight: 50, pauseSeconds: 300 },
      ],
    },
    traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: UNTIL, heldSince: NOW, ...traffic },
  });
}

describe('promotion waits', () => {
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const snsMock = mockClient(SNSClient);

  beforeEach(() => {
    rejectByDefault(dynamoMock, snsMock);
    vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
    snsMock.on(PublishCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  describe('promotionWaitOf and holdStart', () => {
    it('describes the wait of the held step that waits for promotion', () => {
      // Act
      const wait = promotionWaitOf(holding());

      // Assert
      expect(wait).toEqual(WAIT);
    });

    it('has no wait for a step that holds for its time', () => {
      // Arrange
      const timed = holding({}, [{ weight: 10, pauseSeconds: 7_200 }]);

      // Act
      const wait = promotionWaitOf(timed);

      // Assert
      expect(wait).toBeUndefined();
    });

    it('works the start of a hold without heldSince out from its end and the step pause', () => {
      // Arrange: a payload from before heldSince existed
      const { heldSince: _since, ...traffic } = holding().traffic;
      const older = VerifiedStateSchema.parse({ ...holding(), traffic });

      // Act
      const since = holdStart(older);

      // Assert
      expect(since).toBe(NOW);
    });
  });

  describe('announcePromotionWait', () => {
    it('notes the wait in the record if it does not already, and publishes one notification', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand).resolves({});

      // Act
      await announcePromotionWait(holding());

      // Assert
      expect(dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: RECORD_KEY,
          UpdateExpression: 'SET #wait = :wait',
          ConditionExpression:
            '#owner = :owner AND #started = :started AND attribute_not_exists(#wait) OR #owner = :owner AND #started = :started AND #wait.#step <> :step',
          ExpressionAttributeNames: { '#wait': 'awaitingPromotion', '#step': 'step', ...OWNER_NAMES },
          ExpressionAttributeValues: { ':wait': WAIT, ':step': 1, ...OWNER_VALUES },
        },
      ]);
      const published = snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
      expect(published).toHaveLength(1);
      expect(published[0]?.TopicArn).toBe(TOPIC_ARN);
      expect(published[0]?.Subject).toBe(`Baton: web ${NEW_TAG} waits for promotion at 10 %`);
      expect(published[0]?.Message).toContain(`at ${UNTIL} it goes on to the next step by itself\nexecution: ${CONSOLE_URL}`);
      expect(published[0]?.Message).toContain('web-green takes 10 % of production traffic (step 1 of 3)');
    });

    it('publishes nothing when the record already notes this wait (the claim fails)', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      await announcePromotionWait(holding());

      // Assert
      expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });

    it('writes and publishes nothing for a dry run', async () => {
      // Arrange
      const state = holding();
      const dryRun = { ...state, request: { ...state.request, dryRun: true } };

      // Act
      await announcePromotionWait(dryRun);

      // Assert
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
      expect(snsMock).not.toHaveReceivedAnyCommand();
    });

    it('writes and publishes nothing after a step that holds for its time', async () => {
      // Act
      await announcePromotionWait(holding({}, [{ weight: 10, pauseSeconds: 7_200 }]));

      // Assert
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
      expect(snsMock).not.toHaveReceivedAnyCommand();
    });
  });

  describe('recordPromotion and closePromotionWait', () => {
    beforeEach(() => {
      dynamoMock.on(UpdateCommand).resolves({});
    });

    it('appends the promotion, who made it and why, once for its step, and removes the wait', async () => {
      // Act
      await recordPromotion(holding(), PROMOTION);

      // Assert
      expect(dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: RECORD_KEY,
          UpdateExpression: 'SET #list = list_append(if_not_exists(#list, :none), :entry), #last = :step REMOVE #remove',
          ConditionExpression:
            '#owner = :owner AND #started = :started AND attribute_not_exists(#last) OR #owner = :owner AND #started = :started AND #last < :step',
          ExpressionAttributeNames: {
            '#list': 'promotions',
            '#last': 'lastPromotedStep',
            '#remove': 'awaitingPromotion',
            ...OWNER_NAMES,
          },
          ExpressionAttributeValues: {
            ':none': [],
            ':entry': [
              {
                step: 1,
                weight: 10,
                full: true,
                by: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob',
                at: isoAfter(NOW, 600),
                reason: 'canary looks good',
              },
            ],
            ':step': 1,
            ...OWNER_VALUES,
          },
        },
      ]);
    });

    it('records a promotion without a reason without one', async () => {
      // Arrange
      const { reason: _reason, ...unexplained } = PROMOTION;

      // Act
      await recordPromotion(holding(), { ...unexplained, full: false });

      // Assert
      const input = dynamoMock.commandCalls(UpdateCommand)[0]?.args[0].input;
      expect(input?.ExpressionAttributeValues?.[':entry']).toEqual([
        { step: 1, weight: 10, full: false, by: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob', at: isoAfter(NOW, 600) },
      ]);
    });

    it('records the promotion of a step that holds for its time too', async () => {
      // Act
      await recordPromotion(holding({}, [{ weight: 10, pauseSeconds: 7_200 }]), PROMOTION);

      // Assert
      expect(dynamoMock.commandCalls(UpdateCommand)[0]?.args[0].input.ExpressionAttributeValues?.[':entry']).toEqual([
        {
          step: 1,
          weight: 10,
          full: true,
          by: 'arn:aws:sts::123456789012:assumed-role/Deployer/bob',
          at: isoAfter(NOW, 600),
          reason: 'canary looks good',
        },
      ]);
    });

    it('changes nothing, without an error, when a retry finds the step promoted already', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand).rejects(conditionFailed());

      // Act
      const recording = recordPromotion(holding(), PROMOTION);

      // Assert
      await expect(recording).resolves.toBeUndefined();
      expect(dynamoMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    });

    it('only removes the wait when its time ran out', async () => {
      // Act
      await closePromotionWait(holding());

      // Assert
      expect(dynamoMock.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Key: RECORD_KEY,
          UpdateExpression: 'REMOVE #wait',
          ConditionExpression: '#owner = :owner AND #started = :started',
          ExpressionAttributeNames: { '#wait': 'awaitingPromotion', ...OWNER_NAMES },
          ExpressionAttributeValues: OWNER_VALUES,
        },
      ]);
    });

    it('writes nothing when a step that holds for its time ends', async () => {
      // Act
      await closePromotionWait(holding({}, [{ weight: 10, pauseSeconds: 7_200 }]));

      // Assert
      expect(dynamoMock).not.toHaveReceivedAnyCommand();
    });
  });
});
