import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApprovalRefusedError, GateFailedError, PromotionTimeoutError } from '../../../lambdas/shared/errors.ts';
import type { LockItem, PromotionRequest } from '../../../lambdas/shared/lock/table.ts';
import { productionListenerOf, targetGroupOf } from '../../../lambdas/shared/service-resources.ts';
import { handler } from '../../../lambdas/shift-traffic/index.ts';
import {
  allowLeaseRenewals,
  failure,
  forwardAction,
  isLeaseRenewal,
  isWeightChange,
  rejectByDefault,
  targets,
  UNEXPECTED,
} from '../../support/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../../support/gates.ts';
import { lockItem } from '../../support/items.ts';
import { lambdaContext } from '../../support/sleep.ts';
import { DEPLOYMENT_ID, isoAfter, NEW_TAG, NOW, service, stateAfter } from '../../support/state.ts';
import { captureMetrics, type EmfLine } from '../../support/telemetry.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

const web = service();
const RECORD_KEY = { pk: `DEPLOYMENT#${DEPLOYMENT_ID}`, sk: 'RECORD' };
const RULE_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const STICKINESS = { Enabled: true, DurationSeconds: 3600 };
const AUTHENTICATE: Action = {
  Type: 'authenticate-cognito',
  Order: 1,
  AuthenticateCognitoConfig: {
    UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI',
    UserPoolClientId: '4k9l2m3n4o5p6q7r8s9t0u1v2w',
    UserPoolDomain: 'web-auth',
  },
};

function forward(weights: { blue: number; green: number }): Action {
  return forwardAction(web, weights, {
    Order: 2,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: targetGroupOf(web.blue), Weight: weights.blue },
        { TargetGroupArn: targetGroupOf(web.green), Weight: weights.green },
      ],
      TargetGroupStickinessConfig: STICKINESS,
    },
  });
}

describe('shift traffic', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const mocks = { ecs: ecsMock, elb: elbMock, cloudwatch: cloudwatchMock };

  beforeEach(() => {
    // Arrange (shared): gates pass; the listener authenticates, then forwards 100 % to blue with stickiness.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(NOW));
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    arrangePassingGates(mocks);
    // A hold reads the lock every second (events' signals, an operator's promotion): it holds no signal here.
    dynamoMock.on(GetCommand, { Key: { pk: 'LOCK#web', sk: 'LOCK' } }).resolves({ Item: { pk: 'LOCK#web', sk: 'LOCK', ...lockItem() } });
    elbMock.on(DescribeListenersCommand, { ListenerArns: [productionListenerOf(web)] }).resolves({
      Listeners: [{ ListenerArn: productionListenerOf(web), DefaultActions: [AUTHENTICATE, forward({ blue: 100, green: 0 })] }],
    });
    elbMock.on(ModifyListenerCommand, { ListenerArn: productionListenerOf(web) }).resolves({});
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('moves all traffic to green in one absolute write, keeping the other action and the stickiness', async () => {
    // Arrange: all-at-once strategy (example config).

    // Act
    await handler(stateAfter('verify'));

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: productionListenerOf(web),
      DefaultActions: [AUTHENTICATE, forward({ blue: 0, green: 100 })],
    });
  });

  it('completes the traffic plan and starts the bake for all-at-once', async () => {
    // Arrange: all-at-once strategy (example config).

    const verified = stateAfter('verify');

    // Act
    const state = await handler(verified);

    // Assert
    expect(state).toEqual({
      ...verified,
      traffic: { nextStep: 1, weight: 100, complete: true },
      bake: { until: isoAfter(NOW, 300), complete: false },
    });
  });

  it('sends 10 % to green first for a 10 % canary', async () => {
    // Arrange
    const canary = { ...stateAfter('verify'), strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 } };

    // Act
    await handler(canary);

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: productionListenerOf(web),
      DefaultActions: [AUTHENTICATE, forward({ blue: 90, green: 10 })],
    });
  });

  it('holds the first canary step for the canary bake time', async () => {
    // Arrange
    const canary = { ...stateAfter('verify'), strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 } };

    // Act
    const state = await handler(canary);

    // Assert
    expect(state).toEqual({
      ...canary,
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600), heldSince: NOW },
    });
  });

  it('keeps the state while a step holds and the gates pass, after one check without a Lambda context', async () => {
    // Arrange
    const holding = {
      ...stateAfter('verify'),
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 20) },
    };

    // Act
    const state = await handler(holding);

    // Assert
    expect(state).toEqual(holding);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('watches the hold inside its invocation, the gates every 30 s, and applies the next step at its end', async () => {
    // Arrange
    const holding = {
      ...stateAfter('verify'),
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 300) },
    };

    // Act
    const state = await handler(holding, lambdaContext(900));

    // Assert: checks at 0, 30, ..., 300 s, then 100 % and the bake of 300 s from then
    expect(state).toEqual({
      ...holding,
      traffic: { nextStep: 2, weight: 100, complete: true },
      bake: { until: isoAfter(NOW, 600), complete: false },
    });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 11);
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: productionListenerOf(web),
      DefaultActions: [AUTHENTICATE, forward({ blue: 0, green: 100 })],
    });
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 300));
  });

  it("returns the state unchanged when the invocation's time runs out before the hold ends", async () => {
    // Arrange: 120 s of invocation, less the 30 s margin: watches until 90 s
    const holding = {
      ...stateAfter('verify'),
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600) },
    };

    // Act
    const state = await handler(holding, lambdaContext(120));

    // Assert: checks at 0, 30, 60 and 90 s
    expect(state).toEqual(holding);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 4);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 90));
  });

  it('applies the next step once the hold is over', async () => {
    // Arrange
    const held = {
      ...stateAfter('verify'),
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: NOW },
    };

    // Act
    await handler(held);

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: productionListenerOf(web),
      DefaultActions: [AUTHENTICATE, forward({ blue: 0, green: 100 })],
    });
  });

  it('fails with GateFailedError naming the held weight when an alarm fires during a hold', async () => {
    // Arrange
    arrangeFiringAlarm(mocks, 'web-5xx-rate');
    const holding = {
      ...stateAfter('verify'),
      strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 300) },
    };

    // Act
    const error = await failure(handler(holding));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('gate failed while holding green at 10 %: alarm web-5xx-rate is ALARM');
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('refuses an approval by the requester before any gate or weight: ApprovalRefusedError, listener untouched', async () => {
    // Arrange: alice requested the deployment and the approval the state machine received names her too.
    const alice = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
    const verified = stateAfter('verify');
    const selfApproved = { ...verified, request: { ...verified.request, requestedBy: alice }, approvalResult: { approvedBy: alice } };

    // Act
    const error = await failure(handler(selfApproved));

    // Assert
    expect(error).toBeInstanceOf(ApprovalRefusedError);
    expect(error.message).toMatch(/^approved by Deployer\/alice, who requested web-\S+: the approver must be someone else/);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });

  it('fails with GateFailedError and leaves the listener alone when an alarm fires', async () => {
    // Arrange
    arrangeFiringAlarm(mocks, 'web-p99-latency');

    // Act
    const error = await failure(handler(stateAfter('verify')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('gate failed before shifting green to 100 % (at 0 %): alarm web-p99-latency is ALARM');
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('fails with GateFailedError and leaves the listener alone when a target is unhealthy', async () => {
    // Arrange
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.green) })
      .resolves(targets(2, [{ id: '10.0.2.9', state: 'unhealthy', reason: 'Target.Timeout' }]));

    // Act
    const error = await failure(handler(stateAfter('verify')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('has 2/3 healthy targets: 10.0.2.9:8080 unhealthy (Target.Timeout)');
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('rewrites the listener rule with ModifyRule when production traffic is a listener rule', async () => {
    // Arrange
    const onRule = { ...stateAfter('verify'), service: { ...web, productionListenerArn: RULE_ARN } };
    elbMock.on(DescribeRulesCommand, { RuleArns: [RULE_ARN] }).resolves({
      Rules: [{ RuleArn: RULE_ARN, Priority: '10', Actions: [forward({ blue: 100, green: 0 })] }],
    });
    elbMock.on(ModifyRuleCommand, { RuleArn: RULE_ARN }).resolves({});

    // Act
    await handler(onRule);

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyRuleCommand, { RuleArn: RULE_ARN, Actions: [forward({ blue: 0, green: 100 })] });
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  describe('the record and the metrics of each weight write', () => {
    const canary = { type: 'canary' as const, percent: 10, bakeSeconds: 600 };
    let metrics: EmfLine[];

    beforeEach(() => {
      // Arrange (shared): the append to the record succeeds.
      metrics = captureMetrics();
      dynamoMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
        if (isLeaseRenewal(input) || isWeightChange(input)) return {};
        throw new Error(UNEXPECTED);
      });
    });

    afterEach(() => {
      vi.restoreAllMocks();
    });

    /** The entries appended to the record's weight history. */
    function appended(): unknown[] {
      return dynamoMock
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input)
        .filter((input) => isWeightChange(input))
        .flatMap((input) => input.ExpressionAttributeValues?.[':change'] as unknown[]);
    }

    it('appends the first canary step, step 1 of 2, with the time of the write', async () => {
      // Act
      await handler({ ...stateAfter('verify'), strategy: canary });

      // Assert
      expect(appended()).toEqual([{ at: NOW, blue: 90, green: 10, phase: 'shiftTraffic', step: 1, of: 2 }]);
    });

    it('appends the last canary step, step 2 of 2, once the hold is over', async () => {
      // Act
      await handler({
        ...stateAfter('verify'),
        strategy: canary,
        traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: NOW },
      });

      // Assert
      expect(appended()).toEqual([{ at: NOW, blue: 0, green: 100, phase: 'shiftTraffic', step: 2, of: 2 }]);
    });

    it('emits TrafficWeight in percent for both colours, dimensions service and colour', async () => {
      // Act
      await handler({ ...stateAfter('verify'), strategy: canary });

      // Assert
      expect(metrics.filter((line) => 'TrafficWeight' in line)).toEqual(
        [
          ['blue', 90],
          ['green', 10],
        ].map(([colour, weight]) => ({
          _aws: {
            Timestamp: Date.parse(NOW),
            CloudWatchMetrics: [
              { Namespace: 'Baton', Dimensions: [['service', 'colour']], Metrics: [{ Name: 'TrafficWeight', Unit: 'Percent' }] },
            ],
          },
          service: 'web',
          colour,
          deploymentId: DEPLOYMENT_ID,
          TrafficWeight: weight,
        })),
      );
    });

    it('still applies the step when the weight history cannot be written', async () => {
      // Arrange
      dynamoMock.on(UpdateCommand, { Key: RECORD_KEY }).rejects(new Error('ProvisionedThroughputExceededException'));

      // Act
      const state = await handler({ ...stateAfter('verify'), strategy: canary });

      // Assert
      expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
        ListenerArn: productionListenerOf(web),
        DefaultActions: [AUTHENTICATE, forward({ blue: 90, green: 10 })],
      });
      expect(state.traffic).toEqual({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600), heldSince: NOW });
    });
  });
  describe('a step that waits for baton promote', () => {
    const snsMock = mockClient(SNSClient);
    const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:baton-production-outcomes';
    const BOB = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
    const LOCK_KEY = { pk: 'LOCK#web', sk: 'LOCK' };
    /** Green's first step, 10 %, waits for promotion up to 600 s; then 50 % for 300 s; then 100 %. */
    const approvalAt10 = (onTimeout: 'rollback' | 'proceed') => ({
      type: 'steps' as const,
      steps: [
        { weight: 10, pause: 'approval' as const, timeoutSeconds: 600, onTimeout },
        { weight: 50, pauseSeconds: 300 },
      ],
    });
    const promotion = (fields: Partial<PromotionRequest> = {}): PromotionRequest => ({
      deploymentId: DEPLOYMENT_ID,
      step: 1,
      full: false,
      by: BOB,
      at: isoAfter(NOW, 45),
      reason: 'canary looks good',
      ...fields,
    });

    /** Green holding 10 % since NOW until `holdUntil`, its new colour stable since NOW (events count from then). */
    function holdingAt10(onTimeout: 'rollback' | 'proceed', holdUntil = isoAfter(NOW, 600)) {
      const verified = stateAfter('verify');
      if (!verified.rollout) throw new Error('stateAfter(verify) has a rollout');
      return {
        ...verified,
        rollout: { ...verified.rollout, stableAt: NOW },
        strategy: approvalAt10(onTimeout),
        traffic: { nextStep: 1, weight: 10, complete: false, holdUntil, heldSince: NOW },
      };
    }

    /** The lock as the hold reads it: its fields from `from` on (the clock of the test), none before. */
    function givenLock(fields: Partial<LockItem>, from = NOW): void {
      dynamoMock.on(GetCommand, { Key: LOCK_KEY }).callsFake(() => ({
        Item: { ...LOCK_KEY, ...lockItem(Date.now() >= Date.parse(from) ? fields : {}) },
      }));
    }

    /** The handler's writes about the wait for promotion (awaitingPromotion in the record). */
    function waitWrites(): UpdateCommandInput[] {
      return dynamoMock
        .commandCalls(UpdateCommand)
        .map((call) => call.args[0].input)
        .filter((input) => Object.values(input.ExpressionAttributeNames ?? {}).includes('awaitingPromotion'));
    }

    /** Green at 50 % (the second step), its 300 s hold begun at `since`. */
    function expectHeldAt50(state: { traffic: unknown }, since: string): void {
      expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
        ListenerArn: productionListenerOf(web),
        DefaultActions: [AUTHENTICATE, forward({ blue: 50, green: 50 })],
      });
      expect(state.traffic).toEqual({ nextStep: 2, weight: 50, complete: false, holdUntil: isoAfter(since, 300), heldSince: since });
    }

    beforeEach(() => {
      // Arrange (shared): the record takes the wait's writes and the weight history; SNS takes the notification.
      rejectByDefault(snsMock);
      snsMock.on(PublishCommand).resolves({});
      vi.stubEnv('BATON_TOPIC_ARN', TOPIC_ARN);
      dynamoMock.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
        const touchesWait = Object.values(input.ExpressionAttributeNames ?? {}).includes('awaitingPromotion');
        if (isLeaseRenewal(input) || isWeightChange(input) || touchesWait) return {};
        throw new Error(UNEXPECTED);
      });
    });

    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('holds the step until its timeout since it was applied, notes the wait in the record and tells the people once', async () => {
      // Arrange
      const verified = { ...stateAfter('verify'), strategy: approvalAt10('rollback') };

      // Act
      const state = await handler(verified);

      // Assert
      expect(state.traffic).toEqual({ nextStep: 1, weight: 10, complete: false, holdUntil: isoAfter(NOW, 600), heldSince: NOW });
      expect(waitWrites().map((input) => [input.UpdateExpression, input.ExpressionAttributeValues?.[':wait']])).toEqual([
        [
          'SET #wait = :wait',
          { step: 1, of: 3, colour: 'green', weight: 10, since: NOW, until: isoAfter(NOW, 600), onTimeout: 'rollback' },
        ],
      ]);
      expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Subject)).toEqual([
        `Baton: web ${NEW_TAG} waits for promotion at 10 %`,
      ]);
    });

    it('ends the hold within a second of a promotion, checks the gates again, records who promoted and applies the next step', async () => {
      // Arrange: bob promotes 45 s into the hold
      givenLock({ promotion: promotion() }, isoAfter(NOW, 45));

      // Act
      const state = await handler(holdingAt10('rollback'), lambdaContext(900));

      // Assert: gate checks at 0 and 30 s, and again at 45 s, at the first read of the lock that finds the promotion
      const promotedAt = isoAfter(NOW, 45);
      expect(new Date().toISOString()).toBe(promotedAt);
      expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 3);
      expect(waitWrites().map((input) => [input.UpdateExpression, input.ExpressionAttributeValues?.[':entry']])).toEqual([
        [
          'SET #list = list_append(if_not_exists(#list, :none), :entry), #last = :step REMOVE #remove',
          [{ step: 1, weight: 10, full: false, by: BOB, at: isoAfter(NOW, 45), reason: 'canary looks good' }],
        ],
      ]);
      expectHeldAt50(state, promotedAt);
      expect(snsMock).not.toHaveReceivedCommand(PublishCommand);
    });

    it('ends a timed hold early on a promotion too, and records who promoted it', async () => {
      // Arrange: a 10 % canary holding 600 s; bob promotes 45 s into it
      givenLock({ promotion: promotion() }, isoAfter(NOW, 45));
      const canary = {
        ...holdingAt10('rollback'),
        strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 600 },
      };

      // Act
      const state = await handler(canary, lambdaContext(900));

      // Assert
      expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
        ListenerArn: productionListenerOf(web),
        DefaultActions: [AUTHENTICATE, forward({ blue: 0, green: 100 })],
      });
      expect(state.bake).toEqual({ until: isoAfter(NOW, 45 + 300), complete: false });
      expect(waitWrites().map((input) => input.ExpressionAttributeValues?.[':entry'])).toEqual([
        [{ step: 1, weight: 10, full: false, by: BOB, at: isoAfter(NOW, 45), reason: 'canary looks good' }],
      ]);
    });

    it('goes straight to 100 % and starts the bake on a promotion with full', async () => {
      // Arrange
      givenLock({ promotion: promotion({ full: true }) }, isoAfter(NOW, 45));
      const holding = holdingAt10('rollback');

      // Act
      const state = await handler(holding, lambdaContext(900));

      // Assert
      const promotedAt = isoAfter(NOW, 45);
      expect(elbMock).toHaveReceivedCommandTimes(ModifyListenerCommand, 1);
      expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
        ListenerArn: productionListenerOf(web),
        DefaultActions: [AUTHENTICATE, forward({ blue: 0, green: 100 })],
      });
      expect(state).toEqual({
        ...holding,
        traffic: { nextStep: 3, weight: 100, complete: true },
        bake: { until: isoAfter(promotedAt, 300), complete: false },
      });
      expect(waitWrites().map((input) => input.ExpressionAttributeValues?.[':entry'])).toEqual([
        [{ step: 1, weight: 10, full: true, by: BOB, at: isoAfter(NOW, 45), reason: 'canary looks good' }],
      ]);
    });

    it.each([
      [false, 50],
      [true, 100],
    ])(
      'does not move traffic on a promotion (full: %s) when the gates checked again fail, naming the %i % it was for',
      async (full, weight) => {
        // Arrange: the promotion is read at 45 s; the target check after it finds an unhealthy target
        givenLock({ promotion: promotion({ full }) }, isoAfter(NOW, 45));
        elbMock
          .on(DescribeTargetHealthCommand, { TargetGroupArn: targetGroupOf(web.green) })
          .callsFake(() =>
            Date.now() >= Date.parse(isoAfter(NOW, 45))
              ? targets(2, [{ id: '10.0.2.9', state: 'unhealthy', reason: 'Target.Timeout' }])
              : targets(3),
          );

        // Act
        const error = await failure(handler(holdingAt10('rollback'), lambdaContext(900)));

        // Assert
        expect(error).toBeInstanceOf(GateFailedError);
        expect(error.message).toBe(
          `gate failed before shifting green to ${weight} % (at 10 %): target group targetgroup/web-green/8e4b6b8b3c5d2a10 has 2/3 healthy targets: 10.0.2.9:8080 unhealthy (Target.Timeout)`,
        );
        expect(new Date().toISOString()).toBe(isoAfter(NOW, 45));
        expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
        expect(waitWrites()).toEqual([]);
      },
    );

    it('rolls back with PromotionTimeoutError, listener untouched, when nobody promoted before the hold ended and onTimeout is rollback', async () => {
      // Arrange
      const holding = holdingAt10('rollback', isoAfter(NOW, 60));

      // Act
      const error = await failure(handler(holding, lambdaContext(900)));

      // Assert
      expect(error).toBeInstanceOf(PromotionTimeoutError);
      expect(error.message).toBe(
        `nobody ran "baton promote web" while green held 10 % (until ${isoAfter(NOW, 60)}): the step's onTimeout is "rollback"`,
      );
      expect(new Date().toISOString()).toBe(isoAfter(NOW, 60));
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
      expect(waitWrites().map((input) => input.UpdateExpression)).toEqual(['REMOVE #wait']);
    });

    it('applies the next step when nobody promoted before the hold ended and onTimeout is proceed', async () => {
      // Arrange
      const holding = holdingAt10('proceed', isoAfter(NOW, 60));

      // Act
      const state = await handler(holding, lambdaContext(900));

      // Assert
      expectHeldAt50(state, isoAfter(NOW, 60));
      expect(waitWrites().map((input) => input.UpdateExpression)).toEqual(['REMOVE #wait']);
    });

    it('ignores a promotion of another step: this one times out', async () => {
      // Arrange: a promotion of another step (an earlier hold's) is still on the lock
      givenLock({ promotion: promotion({ step: 2 }) });
      const holding = holdingAt10('rollback', isoAfter(NOW, 60));

      // Act
      const error = await failure(handler(holding, lambdaContext(900)));

      // Assert
      expect(error).toBeInstanceOf(PromotionTimeoutError);
      expect(new Date().toISOString()).toBe(isoAfter(NOW, 60));
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('applies the next step for a promotion made during a hold that ended between two invocations', async () => {
      // Arrange: the hold ended at NOW; bob promoted 10 s before
      const verified = stateAfter('verify');
      const held = {
        ...verified,
        strategy: approvalAt10('rollback'),
        traffic: { nextStep: 1, weight: 10, complete: false, holdUntil: NOW, heldSince: isoAfter(NOW, -600) },
      };
      givenLock({ promotion: promotion({ at: isoAfter(NOW, -10) }) }, isoAfter(NOW, -600));

      // Act
      const state = await handler(held);

      // Assert
      expectHeldAt50(state, NOW);
      expect(waitWrites().map((input) => input.ExpressionAttributeValues?.[':entry'])).toEqual([
        [{ step: 1, weight: 10, full: false, by: BOB, at: isoAfter(NOW, -10), reason: 'canary looks good' }],
      ]);
    });

    it('fails with GateFailedError on an alarm event during the wait, even with a promotion on the lock', async () => {
      // Arrange: the alarm and the promotion are on the lock from 45 s on
      givenLock(
        {
          promotion: promotion(),
          signal: { kind: 'alarm', subject: 'web-5xx-rate', at: isoAfter(NOW, 44), reason: 'Threshold Crossed' },
        },
        isoAfter(NOW, 45),
      );

      // Act
      const error = await failure(handler(holdingAt10('proceed'), lambdaContext(900)));

      // Assert
      expect(error).toBeInstanceOf(GateFailedError);
      expect(error.message).toContain(
        `gate failed while holding green at 10 %: alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 44)} (CloudWatch event): Threshold Crossed`,
      );
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
      expect(waitWrites()).toEqual([]);
    });
  });
});
