/** Elastic Load Balancing v2: listeners and rules (their forward weights and authentication actions), target health. */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidLoadBalancerActionException,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AccountModel } from '../model.ts';
import { clone, errorMeta, META, type ServiceSetup } from './common.ts';

interface ForwardAction {
  Type?: string;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: Array<{ TargetGroupArn?: string; Weight?: number }> };
  AuthenticateOidcConfig?: { ClientSecret?: string; UseExistingClientSecret?: boolean } & Record<string, unknown>;
  Order?: number;
}

type Listener = AccountModel['listeners'][string];
interface ModifyInput {
  ListenerArn?: string;
  DefaultActions?: ForwardAction[];
}
interface ModifyRuleInput {
  RuleArn?: string;
  Actions?: ForwardAction[];
}

/** The actions of a listener or rule as Describe returns them: the authentication actions, then the forward. */
function forwardActions(listener: Listener): ForwardAction[] {
  const before = (listener.actionsBeforeForward ?? []).map((action, index) => ({ ...clone(action), Order: index + 1 }));
  return [
    ...before,
    {
      Type: 'forward',
      Order: before.length + 1,
      ForwardConfig: { TargetGroups: Object.entries(listener.forward).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
    },
  ];
}

/**
 * The authentication actions of a ModifyListener or ModifyRule, checked as ELB
 * checks them: an authenticate-oidc action needs its ClientSecret or
 * UseExistingClientSecret: true (Describe never returns the secret), and not
 * both. Returned as Describe will show them.
 */
function authenticationActions(actions: ForwardAction[]): NonNullable<Listener['actionsBeforeForward']> {
  return actions
    .filter((action) => action.Type === 'authenticate-oidc' || action.Type === 'authenticate-cognito')
    .map((action) => {
      const { Order: _order, ...rest } = action;
      if (action.Type !== 'authenticate-oidc') return rest as NonNullable<Listener['actionsBeforeForward']>[number];
      const { ClientSecret, UseExistingClientSecret, ...config } = action.AuthenticateOidcConfig ?? {};
      if (ClientSecret !== undefined && UseExistingClientSecret === true) {
        throw new InvalidLoadBalancerActionException({
          message: 'You cannot both specify a client secret and set UseExistingClientSecret to true',
          ...errorMeta(400),
        });
      }
      if (ClientSecret === undefined && UseExistingClientSecret !== true) {
        throw new InvalidLoadBalancerActionException({
          message: 'You must specify a client secret for an authenticate-oidc action, or set UseExistingClientSecret to true',
          ...errorMeta(400),
        });
      }
      return { ...rest, Type: 'authenticate-oidc', AuthenticateOidcConfig: config };
    });
}

/** The load balancer a listener or rule ARN belongs to: listener(-rule)/app/<alb>/<id>/... -> loadbalancer/app/<alb>/<id>. */
function loadBalancerOf(arn: string): string {
  return arn.replace(/:listener(-rule)?\/(app\/[^/]+\/[0-9a-f]+)\/.*$/, ':loadbalancer/$2');
}

/** The listener a rule ARN belongs to: listener-rule/app/<alb>/<id>/<listener id>/<rule id> -> listener/app/<alb>/<id>/<listener id>. */
function listenerOfRule(arn: string): string {
  return arn.replace(/:listener-rule\/(app\/[^/]+\/[0-9a-f]+\/[0-9a-f]+)\/[0-9a-f]+$/, ':listener/$1');
}

/** By ARNs, or every listener of a load balancer (ELB takes one or the other). */
function describeListeners(m: AccountModel, input: { ListenerArns?: string[]; LoadBalancerArn?: string }) {
  const arns = input.LoadBalancerArn
    ? Object.keys(m.listeners).filter((arn) => arn.includes(':listener/') && loadBalancerOf(arn) === input.LoadBalancerArn)
    : (input.ListenerArns ?? []);
  const listeners = arns.map((arn) => {
    const listener = m.listeners[arn];
    if (!listener) throw new ListenerNotFoundException({ message: 'One or more listeners not found', ...errorMeta(400) });
    return {
      ListenerArn: arn,
      LoadBalancerArn: loadBalancerOf(arn),
      Port: 443,
      Protocol: 'HTTPS',
      DefaultActions: forwardActions(listener),
    };
  });
  return { ...META, Listeners: listeners };
}

/** By ARNs, or the rules of a listener (the simulated account keeps no default rule: the listener's default actions are it). */
function describeRules(m: AccountModel, input: { RuleArns?: string[]; ListenerArn?: string }) {
  const arns = input.ListenerArn
    ? Object.keys(m.listeners).filter((arn) => arn.includes(':listener-rule/') && listenerOfRule(arn) === input.ListenerArn)
    : (input.RuleArns ?? []);
  const rules = arns.map((arn) => {
    const rule = m.listeners[arn];
    if (!rule) throw new RuleNotFoundException({ message: 'One or more rules not found', ...errorMeta(400) });
    return { RuleArn: arn, Priority: '10', Actions: forwardActions(rule), IsDefault: false };
  });
  return { ...META, Rules: rules };
}

/** Target groups by ARN: an HTTP group of IP targets on 8080 in the account's first VPC, and the load balancers whose listeners forward to it. */
function describeTargetGroups(m: AccountModel, input: { TargetGroupArns?: string[] }) {
  const vpcId = Object.keys(m.ec2?.vpcs ?? {})[0];
  const groups = (input.TargetGroupArns ?? []).map((arn) => {
    if (!m.targetGroups[arn]) throw new TargetGroupNotFoundException({ message: 'One or more target groups not found', ...errorMeta(400) });
    const forwarding = Object.entries(m.listeners).filter(([, listener]) => arn in listener.forward);
    return {
      TargetGroupArn: arn,
      TargetGroupName: arn.split('/')[1],
      Protocol: 'HTTP',
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/',
      ...(vpcId ? { VpcId: vpcId } : {}),
      LoadBalancerArns: [...new Set(forwarding.map(([listenerArn]) => loadBalancerOf(listenerArn)))],
    };
  });
  return { ...META, TargetGroups: groups };
}

function modifyForward(m: AccountModel, arn: string | undefined, actions: ForwardAction[] | undefined, kind: 'listener' | 'rule') {
  const listener = arn ? m.listeners[arn] : undefined;
  if (!listener || !arn) {
    if (kind === 'rule') throw new RuleNotFoundException({ message: 'One or more rules not found', ...errorMeta(400) });
    throw new ListenerNotFoundException({ message: 'One or more listeners not found', ...errorMeta(400) });
  }
  const authentication = authenticationActions(actions ?? []);
  const forward = actions?.find((a) => a.Type === 'forward');
  const groups =
    forward?.ForwardConfig?.TargetGroups ?? (forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const next: Record<string, number> = {};
  for (const group of groups) {
    if (!group.TargetGroupArn || !m.targetGroups[group.TargetGroupArn]) {
      throw new TargetGroupNotFoundException({ message: `Target group '${group.TargetGroupArn}' not found`, ...errorMeta(400) });
    }
    next[group.TargetGroupArn] = group.Weight ?? 1;
  }
  m.traffic.setForward(arn, listener, next, m.now);
  if (authentication.length > 0) listener.actionsBeforeForward = authentication;
  else delete listener.actionsBeforeForward;
  return kind === 'listener' ? describeListeners(m, { ListenerArns: [arn] }) : describeRules(m, { RuleArns: [arn] });
}

function describeTargetHealth(m: AccountModel, input: { TargetGroupArn?: string }) {
  const targets = input.TargetGroupArn ? m.targets.get(input.TargetGroupArn) : undefined;
  if (!targets) throw new TargetGroupNotFoundException({ message: 'One or more target groups not found', ...errorMeta(400) });
  return {
    ...META,
    TargetHealthDescriptions: targets.map((t) => ({
      Target: { Id: t.ip, Port: t.port },
      HealthCheckPort: String(t.port),
      TargetHealth: {
        State: t.state,
        ...(t.state === 'initial' ? { Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' } : {}),
        ...(t.reason ? { Reason: t.reason } : {}),
        ...(t.description ? { Description: t.description } : {}),
      },
    })),
  };
}

export function installElbv2({ model: m, stubs, route }: ServiceSetup): void {
  const elb = stubs.stub(ElasticLoadBalancingV2Client);
  elb
    .on(DescribeListenersCommand)
    .callsFake(
      route('elb', 'DescribeListeners', (input: { ListenerArns?: string[]; LoadBalancerArn?: string }) => describeListeners(m, input)),
    );
  elb
    .on(DescribeRulesCommand)
    .callsFake(route('elb', 'DescribeRules', (input: { RuleArns?: string[]; ListenerArn?: string }) => describeRules(m, input)));
  elb
    .on(DescribeTargetGroupsCommand)
    .callsFake(route('elb', 'DescribeTargetGroups', (input: { TargetGroupArns?: string[] }) => describeTargetGroups(m, input)));
  elb
    .on(ModifyListenerCommand)
    .callsFake(
      route('elb', 'ModifyListener', (input: ModifyInput) => modifyForward(m, input.ListenerArn, input.DefaultActions, 'listener')),
    );
  elb
    .on(ModifyRuleCommand)
    .callsFake(route('elb', 'ModifyRule', (input: ModifyRuleInput) => modifyForward(m, input.RuleArn, input.Actions, 'rule')));
  elb
    .on(DescribeTargetHealthCommand)
    .callsFake(route('elb', 'DescribeTargetHealth', (input: { TargetGroupArn?: string }) => describeTargetHealth(m, input)));
}
