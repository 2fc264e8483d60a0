import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../lambdas/check-bake/index.ts';
import { GateFailedError } from '../../../lambdas/shared/errors.ts';
import { allowLeaseRenewals, failure, rejectByDefault, targets } from '../../support/aws.ts';
import { arrangeFiringAlarm, arrangePassingGates } from '../../support/gates.ts';
import { lockItem } from '../../support/items.ts';
import { lambdaContext } from '../../support/sleep.ts';
import { isoAfter, NOW, service, stateAfter, withScaleDownDelay } from '../../support/state.ts';

vi.mock('../../../lambdas/shared/time.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../lambdas/shared/time.ts')>()),
  sleep: (await import('../../support/sleep.ts')).sleepOnFakeClock,
}));

describe('check bake', () => {
  const ecsMock = mockClient(ECSClient);
  const elbMock = mockClient(ElasticLoadBalancingV2Client);
  const cloudwatchMock = mockClient(CloudWatchClient);
  // The phase tracking of definePhase writes to the record: no DynamoDB call leaves the test.
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const mocks = { ecs: ecsMock, elb: elbMock, cloudwatch: cloudwatchMock };

  beforeEach(() => {
    // Arrange (shared): gates pass; the bake of 300 s started at NOW.
    vi.useFakeTimers({ toFake: ['Date'] });
    rejectByDefault(ecsMock, elbMock, cloudwatchMock, dynamoMock);
    allowLeaseRenewals(dynamoMock);
    arrangePassingGates(mocks);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('checks the gates once and returns the state unchanged while the bake is not over, without a Lambda context', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));
    const baking = stateAfter('shift');

    // Act
    const state = await handler(baking);

    // Assert
    expect(state).toEqual(baking);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 60));
  });

  it('watches the bake inside its invocation, the gates every 30 s, and completes it at its end', async () => {
    // Arrange: 240 s of bake left, 900 s of invocation
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));

    // Act
    const state = await handler(stateAfter('shift'), lambdaContext(900));

    // Assert: checks at 60, 90, ..., 300 s
    expect({ bake: state.bake, retire: state.retire }).toEqual({
      bake: { until: isoAfter(NOW, 300), complete: true },
      retire: { at: isoAfter(NOW, 600), due: false },
    });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 9);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 300));
  });

  it('checks once more when the bake ends, before the next gate interval', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 290)));

    // Act
    const state = await handler(stateAfter('shift'), lambdaContext(900));

    // Assert: checks at 290 and 300 s
    expect(state.bake).toEqual({ until: isoAfter(NOW, 300), complete: true });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 300));
  });

  it("returns the state unchanged when the invocation's time runs out before the bake ends, keeping 30 s for itself", async () => {
    // Arrange: 120 s of invocation, less the 30 s margin: watches until 150 s
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));
    const baking = stateAfter('shift');

    // Act
    const state = await handler(baking, lambdaContext(120));

    // Assert: checks at 60, 90, 120 and 150 s
    expect(state).toEqual(baking);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 4);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 150));
  });

  it('completes the bake and starts the scale-down delay once the bake time is over', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 300)));
    const baking = stateAfter('shift');

    // Act
    const state = await handler(baking);

    // Assert
    expect(state).toEqual({
      ...baking,
      bake: { until: isoAfter(NOW, 300), complete: true },
      retire: { at: isoAfter(NOW, 600), due: false },
    });
  });

  it('checks the gates once and keeps the state during the scale-down delay, without a Lambda context', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 420)));
    const delayed = withScaleDownDelay(stateAfter('shift'));

    // Act
    const state = await handler(delayed);

    // Assert
    expect(state).toEqual(delayed);
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
  });

  it('watches the scale-down delay inside its invocation, the gates every 30 s, and is due to retire at its end', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 420)));

    // Act
    const state = await handler(withScaleDownDelay(stateAfter('shift')), lambdaContext(900));

    // Assert: checks at 420, 450, ..., 600 s
    expect(state.retire).toEqual({ at: isoAfter(NOW, 600), due: true });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 7);
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 600));
  });

  it('is due to retire the old colour once the scale-down delay is over and the gates pass', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 600)));

    // Act
    const state = await handler(withScaleDownDelay(stateAfter('shift')));

    // Assert
    expect(state.retire).toEqual({ at: isoAfter(NOW, 600), due: true });
  });

  it('fails with GateFailedError, the old colour still running, when the new colour turns unhealthy during the scale-down delay', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 360)));
    elbMock.on(DescribeTargetHealthCommand, { TargetGroupArn: service().green.targetGroupArn }).resolves(targets(0));

    // Act
    const error = await failure(handler(withScaleDownDelay(stateAfter('shift'))));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      'gate failed before retiring blue (green at 100 %): target group targetgroup/web-green/8e4b6b8b3c5d2a10 has 0/3 healthy targets. blue still runs.',
    );
  });

  it('fails no gate for a target of a scale-out still in its first health checks, the healthy count held', async () => {
    // Arrange: the new colour's autoscaler added a fourth task; its target is registering.
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));
    elbMock
      .on(DescribeTargetHealthCommand, { TargetGroupArn: service().green.targetGroupArn })
      .resolves(targets(3, [{ id: '10.0.2.9', state: 'initial', reason: 'Elb.RegistrationInProgress' }]));
    const baking = stateAfter('shift');

    // Act
    const state = await handler(baking);

    // Assert
    expect(state).toEqual(baking);
  });

  it('ends an alarm event whose reason is a sentence with one full stop before saying the old colour still runs', async () => {
    // Arrange: in the scale-down delay, the signal function recorded an alarm whose CloudWatch reason ends in "."
    vi.setSystemTime(new Date(isoAfter(NOW, 360)));
    const retiring = withScaleDownDelay(stateAfter('shift'));
    const stable = { ...retiring, rollout: { ...retiring.rollout, stableAt: NOW } } as typeof retiring;
    const reason = 'Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).';
    const signal = { kind: 'alarm' as const, subject: 'web-5xx-rate', at: isoAfter(NOW, 300), reason };
    dynamoMock.on(GetCommand, { Key: { pk: 'LOCK#web', sk: 'LOCK' } }).resolves({ Item: lockItem({ signal }) });

    // Act
    const error = await failure(handler(stable, lambdaContext(900)));

    // Assert
    expect(error.message).toBe(
      `gate failed before retiring blue (green at 100 %): alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 300)} (CloudWatch event): ${reason} blue still runs.`,
    );
  });

  it('fails with GateFailedError when an alarm fires during the bake', async () => {
    // Arrange
    vi.setSystemTime(new Date(isoAfter(NOW, 120)));
    arrangeFiringAlarm(mocks, 'web-5xx-rate');

    // Act
    const error = await failure(handler(stateAfter('shift')));

    // Assert
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toContain('gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed');
  });

  it('fails with GateFailedError within a second of an alarm event, before the next gate check', async () => {
    // Arrange: stable since NOW; the signal function records web-5xx-rate entering ALARM at 74.5 s
    vi.setSystemTime(new Date(isoAfter(NOW, 60)));
    const shifted = stateAfter('shift');
    const baking = { ...shifted, rollout: { ...shifted.rollout, stableAt: NOW } } as typeof shifted;
    const signal = { kind: 'alarm' as const, subject: 'web-5xx-rate', at: isoAfter(NOW, 74.5), reason: 'Threshold Crossed' };
    dynamoMock
      .on(GetCommand, { Key: { pk: 'LOCK#web', sk: 'LOCK' } })
      .callsFake(() => ({ Item: lockItem(Date.now() >= Date.parse(signal.at) ? { signal } : {}) }));

    // Act
    const error = await failure(handler(baking, lambdaContext(900)));

    // Assert: the signal read at 75 s, the first read after the event; the gates were checked once, at 60 s
    expect(error).toBeInstanceOf(GateFailedError);
    expect(error.message).toBe(
      `gate failed during the bake of green at 100 %: alarm web-5xx-rate entered ALARM at ${isoAfter(NOW, 74.5)} (CloudWatch event): Threshold Crossed`,
    );
    expect(new Date().toISOString()).toBe(isoAfter(NOW, 75));
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 1);
  });
});
