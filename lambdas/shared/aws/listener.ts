/**
 * Production traffic lives in the forward action of a listener (default
 * action) or of a listener rule. The live colour is read from its weights,
 * never from running counts, and weights are always written as absolute
 * values so a retried or redriven write lands in the same place (docs/architecture.md I6).
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  RuleNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { elb } from '../clients/elb.ts';
import type { ServiceConfig } from '../config-schema.ts';
import type { Colour } from '../contract.ts';
import { ListenerSplitError, ResourceMissingError } from '../errors.ts';
import { productionListenerOf, targetGroupsOf } from '../service-resources.ts';

export interface Weights {
  readonly blue: number;
  readonly green: number;
}

export function isRuleArn(arn: string): boolean {
  return arn.includes(':listener-rule/');
}

async function readActions(arn: string, client: ElasticLoadBalancingV2Client = elb()): Promise<Action[]> {
  try {
    if (isRuleArn(arn)) {
      const out = await client.send(new DescribeRulesCommand({ RuleArns: [arn] }));
      const rule = out.Rules?.[0];
      if (!rule) throw new ResourceMissingError(`listener rule ${arn} not found`);
      return rule.Actions ?? [];
    }
    const out = await client.send(new DescribeListenersCommand({ ListenerArns: [arn] }));
    const listener = out.Listeners?.[0];
    if (!listener) throw new ResourceMissingError(`listener ${arn} not found`);
    return listener.DefaultActions ?? [];
  } catch (error) {
    if (error instanceof ListenerNotFoundException || error instanceof RuleNotFoundException) {
      throw new ResourceMissingError(`${isRuleArn(arn) ? 'listener rule' : 'listener'} ${arn} not found (${error.name})`, {
        cause: error,
      });
    }
    throw error;
  }
}

function forwardAction(actions: Action[], arn: string): Action {
  const forward = actions.find((action) => action.Type === 'forward');
  if (!forward)
    throw new ListenerSplitError(`${arn} has no forward action; Baton needs one that forwards to the blue and green target groups`);
  return forward;
}

/**
 * Weights in percent of the two colours; any other target group in the action is an error.
 * The functions' own client by default; the CLI passes its own (region, profile).
 */
export async function readWeights(
  service: ServiceConfig,
  arn = productionListenerOf(service),
  client: ElasticLoadBalancingV2Client = elb(),
): Promise<Weights> {
  const groupArns = targetGroupsOf(service);
  const forward = forwardAction(await readActions(arn, client), arn);
  const groups =
    forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  let blue = 0;
  let green = 0;
  for (const group of groups) {
    const weight = group.Weight ?? 1;
    if (group.TargetGroupArn === groupArns.blue) blue += weight;
    else if (group.TargetGroupArn === groupArns.green) green += weight;
    else if (weight > 0) {
      throw new ListenerSplitError(
        `${arn} forwards to ${group.TargetGroupArn} (weight ${weight}), which is neither the blue nor the green target group of ${service.name}`,
      );
    }
  }
  const total = blue + green;
  if (total === 0) throw new ListenerSplitError(`${arn} forwards no traffic to either colour of ${service.name}`);
  // Any non-zero weight is traffic: rounding never hides it (995/5, 999/1 or 199/1 is a split, not 100/0).
  const rounded = Math.round((blue * 100) / total);
  const bluePercent = Math.min(Math.max(rounded, blue > 0 ? 1 : 0), green > 0 ? 99 : 100);
  return { blue: bluePercent, green: 100 - bluePercent };
}

/** The colour with 100 % of traffic; a split listener has no live colour. */
export function liveColourOf(weights: Weights, arn: string): Colour {
  if (weights.blue === 100) return 'blue';
  if (weights.green === 100) return 'green';
  throw new ListenerSplitError(
    `${arn} is split blue ${weights.blue} % / green ${weights.green} %; a deployment starts only from 100/0 (finish or roll back the other deployment first)`,
  );
}

export function weightsFor(colour: Colour, percent: number): Weights {
  return colour === 'blue' ? { blue: percent, green: 100 - percent } : { green: percent, blue: 100 - percent };
}

/**
 * An action other than the forward, as Describe returned it, made fit to write
 * back. Describe never returns an authenticate-oidc action's ClientSecret, and
 * ELB refuses a ModifyListener or ModifyRule whose authenticate-oidc action
 * has neither ClientSecret nor UseExistingClientSecret: true (and one with
 * both), so the secret stays where it is and every other field goes back as
 * read. authenticate-cognito (no client secret: Cognito holds it),
 * jwt-validation, redirect and fixed-response round-trip as read.
 */
export function writableAction(action: Action): Action {
  if (action.Type !== 'authenticate-oidc' || !action.AuthenticateOidcConfig) return action;
  const { ClientSecret: _neverReturned, ...config } = action.AuthenticateOidcConfig;
  return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
}

/** Rewrites only the forward action's target groups; other actions and stickiness are kept. */
export async function setWeights(service: ServiceConfig, weights: Weights, arn = productionListenerOf(service)): Promise<void> {
  const groupArns = targetGroupsOf(service);
  const actions = await readActions(arn);
  forwardAction(actions, arn);
  const updated: Action[] = actions.map((action) => {
    if (action.Type !== 'forward') return writableAction(action);
    const { TargetGroupArn: _single, ...rest } = action;
    return {
      ...rest,
      ForwardConfig: {
        ...action.ForwardConfig,
        TargetGroups: [
          { TargetGroupArn: groupArns.blue, Weight: weights.blue },
          { TargetGroupArn: groupArns.green, Weight: weights.green },
        ],
      },
    };
  });
  if (isRuleArn(arn)) {
    await elb().send(new ModifyRuleCommand({ RuleArn: arn, Actions: updated }));
  } else {
    await elb().send(new ModifyListenerCommand({ ListenerArn: arn, DefaultActions: updated }));
  }
}
