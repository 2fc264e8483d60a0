import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isRuleArn, liveColourOf, readWeights, setWeights, weightsFor } from '../../lambdas/shared/aws/listener.ts';
import { ListenerSplitError, ResourceMissingError } from '../../lambdas/shared/errors.ts';
import { failure, forwardAction, rejectByDefault } from '../fixtures/aws.ts';
import { service } from '../fixtures/state.ts';

const web = service();
const LISTENER = web.productionListenerArn;
const RULE_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const FOREIGN_TARGET_GROUP = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/maintenance/0123456789abcdef';
const REDIRECT: Action = { Type: 'redirect', Order: 1, RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } };

describe('listener weights', () => {
  const elbMock = mockClient(ElasticLoadBalancingV2Client);

  function listenerActions(actions: Action[]) {
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [LISTENER] })
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] });
  }

  beforeEach(() => {
    rejectByDefault(elbMock);
  });

  it('reads weights in percent of the blue and green target groups', async () => {
    // Arrange
    listenerActions([forwardAction(web, { blue: 3, green: 1 })]);

    // Act
    const weights = await readWeights(web);

    // Assert
    expect(weights).toEqual({ blue: 75, green: 25 });
  });

  it('reads a forward action with a single target group as 100 % on that group', async () => {
    // Arrange
    listenerActions([{ Type: 'forward', TargetGroupArn: web.green.targetGroupArn }]);

    // Act
    const weights = await readWeights(web);

    // Assert
    expect(weights).toEqual({ blue: 0, green: 100 });
  });

  it('ignores another target group at weight 0', async () => {
    // Arrange
    listenerActions([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: web.blue.targetGroupArn, Weight: 100 },
            { TargetGroupArn: FOREIGN_TARGET_GROUP, Weight: 0 },
          ],
        },
      },
    ]);

    // Act
    const weights = await readWeights(web);

    // Assert
    expect(weights).toEqual({ blue: 100, green: 0 });
  });

  it('fails with ListenerSplitError when another target group receives traffic', async () => {
    // Arrange
    listenerActions([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: web.blue.targetGroupArn, Weight: 90 },
            { TargetGroupArn: FOREIGN_TARGET_GROUP, Weight: 10 },
          ],
        },
      },
    ]);

    // Act
    const error = await failure(readWeights(web));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toContain(
      `forwards to ${FOREIGN_TARGET_GROUP} (weight 10), which is neither the blue nor the green target group of web`,
    );
  });

  it('fails with ListenerSplitError when the listener has no forward action', async () => {
    // Arrange
    listenerActions([REDIRECT]);

    // Act
    const error = await failure(readWeights(web));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toBe(`${LISTENER} has no forward action; Baton needs one that forwards to the blue and green target groups`);
  });

  it('fails with ListenerSplitError when both colours are at weight 0', async () => {
    // Arrange
    listenerActions([forwardAction(web, { blue: 0, green: 0 })]);

    // Act
    const error = await failure(readWeights(web));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(error.message).toBe(`${LISTENER} forwards no traffic to either colour of web`);
  });

  it('fails with ResourceMissingError when the listener does not exist', async () => {
    // Arrange
    elbMock
      .on(DescribeListenersCommand, { ListenerArns: [LISTENER] })
      .rejects(new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }));

    // Act
    const error = await failure(readWeights(web));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`listener ${LISTENER} not found (ListenerNotFoundException)`);
  });

  it('reads a listener rule with DescribeRules', async () => {
    // Arrange
    elbMock
      .on(DescribeRulesCommand, { RuleArns: [RULE_ARN] })
      .resolves({ Rules: [{ RuleArn: RULE_ARN, Priority: '5', Actions: [forwardAction(web, { blue: 0, green: 100 })] }] });

    // Act
    const weights = await readWeights(web, RULE_ARN);

    // Assert
    expect(weights).toEqual({ blue: 0, green: 100 });
    expect(elbMock).not.toHaveReceivedCommand(DescribeListenersCommand);
  });

  it('fails with ResourceMissingError when the listener rule does not exist', async () => {
    // Arrange
    elbMock
      .on(DescribeRulesCommand, { RuleArns: [RULE_ARN] })
      .rejects(new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} }));

    // Act
    const error = await failure(readWeights(web, RULE_ARN));

    // Assert
    expect(error).toBeInstanceOf(ResourceMissingError);
    expect(error.message).toBe(`listener rule ${RULE_ARN} not found (RuleNotFoundException)`);
  });

  it('tells a listener rule ARN from a listener ARN', () => {
    // Arrange
    const arns = [RULE_ARN, LISTENER];

    // Act
    const kinds = arns.map(isRuleArn);

    // Assert
    expect(kinds).toEqual([true, false]);
  });

  it.each([
    [{ blue: 100, green: 0 }, 'blue'],
    [{ blue: 0, green: 100 }, 'green'],
  ] as const)('takes %o as live colour %s', (weights, colour) => {
    // Arrange: the weights of the row.

    // Act
    const live = liveColourOf(weights, LISTENER);

    // Assert
    expect(live).toBe(colour);
  });

  it('refuses a live colour for a split listener', () => {
    // Arrange
    const weights = { blue: 80, green: 20 };

    // Act
    const act = () => liveColourOf(weights, LISTENER);

    // Assert
    expect(act).toThrow(ListenerSplitError);
    expect(act).toThrow(`${LISTENER} is split blue 80 % / green 20 %`);
  });

  it('gives the rest of the traffic to the other colour', () => {
    // Arrange
    const percent = 10;

    // Act
    const weights = weightsFor('green', percent);

    // Assert
    expect(weights).toEqual({ blue: 90, green: 10 });
  });

  it('rewrites a single-target-group forward action as weighted target groups and keeps other actions', async () => {
    // Arrange
    listenerActions([REDIRECT, { Type: 'forward', Order: 2, TargetGroupArn: web.blue.targetGroupArn }]);
    elbMock.on(ModifyListenerCommand, { ListenerArn: LISTENER }).resolves({});

    // Act
    await setWeights(web, { blue: 50, green: 50 });

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(ModifyListenerCommand, {
      ListenerArn: LISTENER,
      DefaultActions: [
        REDIRECT,
        {
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: web.blue.targetGroupArn, Weight: 50 },
              { TargetGroupArn: web.green.targetGroupArn, Weight: 50 },
            ],
          },
        },
      ],
    });
  });

  it('writes nothing when the listener has no forward action', async () => {
    // Arrange
    listenerActions([REDIRECT]);

    // Act
    const error = await failure(setWeights(web, { blue: 0, green: 100 }));

    // Assert
    expect(error).toBeInstanceOf(ListenerSplitError);
    expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
  });
});
