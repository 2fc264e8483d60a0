import {
  type Action,
  type AuthenticateOidcActionConfig,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  isRuleArn,
  liveColourOf,
  readWeights,
  setWeights,
  weightsFor,
  writableAction,
} from '../../../../../lambdas/shared/aws/listener.ts';
import { ListenerSplitError, ResourceMissingError } from '../../../../../lambdas/shared/errors.ts';
import { productionListenerOf, targetGroupOf } from '../../../../../lambdas/shared/service-resources.ts';
import { failure, forwardAction, rejectByDefault } from '../../../../support/aws.ts';
import { service } from '../../../../support/state.ts';

const web = service();
const LISTENER = productionListenerOf(web);
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

  it.each([
    [
      { blue: 995, green: 5 },
      { blue: 99, green: 1 },
    ],
    [
      { blue: 999, green: 1 },
      { blue: 99, green: 1 },
    ],
    [
      { blue: 199, green: 1 },
      { blue: 99, green: 1 },
    ],
    [
      { blue: 1, green: 999 },
      { blue: 1, green: 99 },
    ],
  ])('counts any non-zero weight as traffic: %o reads as %o, a split no deployment starts from', async (raw, percent) => {
    // Arrange
    listenerActions([forwardAction(web, raw)]);

    // Act
    const weights = await readWeights(web);

    // Assert
    expect(weights).toEqual(percent);
    expect(() => liveColourOf(weights, LISTENER)).toThrow(`${LISTENER} is split blue ${percent.blue} % / green ${percent.green} %`);
  });

  it('reads a forward action with a single target group as 100 % on that group', async () => {
    // Arrange
    listenerActions([{ Type: 'forward', TargetGroupArn: targetGroupOf(web.green) }]);

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
            { TargetGroupArn: targetGroupOf(web.blue), Weight: 100 },
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
            { TargetGroupArn: targetGroupOf(web.blue), Weight: 90 },
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
    listenerActions([REDIRECT, { Type: 'forward', Order: 2, TargetGroupArn: targetGroupOf(web.blue) }]);
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
              { TargetGroupArn: targetGroupOf(web.blue), Weight: 50 },
              { TargetGroupArn: targetGroupOf(web.green), Weight: 50 },
            ],
          },
        },
      ],
    });
  });

  describe('an authentication action before the forward', () => {
    /** authenticate-oidc as DescribeListeners and DescribeRules return it: every field but the ClientSecret. */
    const OIDC_CONFIG: AuthenticateOidcActionConfig = {
      Issuer: 'https://idp.example.com',
      AuthorizationEndpoint: 'https://idp.example.com/authorize',
      TokenEndpoint: 'https://idp.example.com/token',
      UserInfoEndpoint: 'https://idp.example.com/userinfo',
      ClientId: 'baton-web',
      SessionCookieName: 'AWSELBAuthSessionCookie',
      Scope: 'openid email',
      SessionTimeout: 604800,
      AuthenticationRequestExtraParams: { prompt: 'login' },
      OnUnauthenticatedRequest: 'authenticate',
    };
    /** authenticate-oidc as DescribeListeners and DescribeRules return it: every field but the ClientSecret. */
    const OIDC_AS_READ: Action = { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: OIDC_CONFIG };
    const COGNITO_AS_READ: Action = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: {
        UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI',
        UserPoolClientId: '1example23456789',
        UserPoolDomain: 'baton-web',
        SessionCookieName: 'AWSELBAuthSessionCookie',
        Scope: 'openid',
        SessionTimeout: 604800,
        OnUnauthenticatedRequest: 'authenticate',
      },
    };
    const forwardAt = (weights: { blue: number; green: number }): Action => ({ ...forwardAction(web, weights), Order: 2 });

    it('writes an authenticate-oidc action of a listener back with UseExistingClientSecret and no ClientSecret, the rest as read', async () => {
      // Arrange
      listenerActions([OIDC_AS_READ, forwardAt({ blue: 100, green: 0 })]);
      elbMock.on(ModifyListenerCommand, { ListenerArn: LISTENER }).resolves({});

      // Act
      await setWeights(web, { blue: 0, green: 100 });

      // Assert
      expect(elbMock.commandCalls(ModifyListenerCommand).map((call) => call.args[0].input)).toEqual([
        {
          ListenerArn: LISTENER,
          DefaultActions: [
            {
              Type: 'authenticate-oidc',
              Order: 1,
              AuthenticateOidcConfig: {
                Issuer: 'https://idp.example.com',
                AuthorizationEndpoint: 'https://idp.example.com/authorize',
                TokenEndpoint: 'https://idp.example.com/token',
                UserInfoEndpoint: 'https://idp.example.com/userinfo',
                ClientId: 'baton-web',
                SessionCookieName: 'AWSELBAuthSessionCookie',
                Scope: 'openid email',
                SessionTimeout: 604800,
                AuthenticationRequestExtraParams: { prompt: 'login' },
                OnUnauthenticatedRequest: 'authenticate',
                UseExistingClientSecret: true,
              },
            },
            forwardAt({ blue: 0, green: 100 }),
          ],
        },
      ]);
    });

    it('writes an authenticate-oidc action of a listener rule back the same way with ModifyRule', async () => {
      // Arrange
      elbMock
        .on(DescribeRulesCommand, { RuleArns: [RULE_ARN] })
        .resolves({ Rules: [{ RuleArn: RULE_ARN, Priority: '10', Actions: [OIDC_AS_READ, forwardAt({ blue: 100, green: 0 })] }] });
      elbMock.on(ModifyRuleCommand, { RuleArn: RULE_ARN }).resolves({});

      // Act
      await setWeights(web, { blue: 90, green: 10 }, RULE_ARN);

      // Assert
      expect(elbMock.commandCalls(ModifyRuleCommand).map((call) => call.args[0].input)).toEqual([
        {
          RuleArn: RULE_ARN,
          Actions: [
            { ...OIDC_AS_READ, AuthenticateOidcConfig: { ...OIDC_CONFIG, UseExistingClientSecret: true } },
            forwardAt({ blue: 90, green: 10 }),
          ],
        },
      ]);
      expect(elbMock).not.toHaveReceivedCommand(ModifyListenerCommand);
    });

    it('never sends a ClientSecret, even one a read returned, with UseExistingClientSecret', async () => {
      // Arrange: ELB refuses a ClientSecret together with UseExistingClientSecret: true.
      const withSecret: Action = {
        ...OIDC_AS_READ,
        AuthenticateOidcConfig: { ...OIDC_CONFIG, ClientSecret: 'k3ep-0ut', UseExistingClientSecret: false },
      };

      // Act
      const written = writableAction(withSecret);

      // Assert
      expect(written).toEqual({
        ...OIDC_AS_READ,
        AuthenticateOidcConfig: { ...OIDC_CONFIG, UseExistingClientSecret: true },
      });
    });

    it('writes an authenticate-cognito action back exactly as read: it has no client secret', async () => {
      // Arrange
      listenerActions([COGNITO_AS_READ, forwardAt({ blue: 100, green: 0 })]);
      elbMock.on(ModifyListenerCommand, { ListenerArn: LISTENER }).resolves({});

      // Act
      await setWeights(web, { blue: 0, green: 100 });

      // Assert
      expect(elbMock.commandCalls(ModifyListenerCommand).map((call) => call.args[0].input)).toEqual([
        { ListenerArn: LISTENER, DefaultActions: [COGNITO_AS_READ, forwardAt({ blue: 0, green: 100 })] },
      ]);
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
