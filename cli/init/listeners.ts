/**
 * The listeners and rules whose forward action includes a target group, on
 * the load balancers the target group belongs to (DescribeListeners and
 * DescribeRules, page by page).
 */
import { type Action, DescribeListenersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SetupContext } from '../context.ts';
import { allPages } from './pages.ts';

/** A listener (its default action) or a rule whose forward includes the target group. */
export interface ForwardSite {
  readonly arn: string;
  readonly kind: 'listener' | 'rule';
  /** Target group ARN -> weight of the forward (a forward to one group without weights counts 1, as ELB does). */
  readonly weights: Record<string, number>;
  /** Actions before the forward (authentication): a replaced forward must keep them. */
  readonly otherActions: number;
}

/** Pages enough for any real load balancer (ELB allows 50 listeners and 100 rules each); a bound, not a limit anyone meets. */
const MAX_PAGES = 50;

function weightsOf(actions: readonly Action[] | undefined): Record<string, number> | undefined {
  const forward = actions?.find((action) => action.Type === 'forward');
  if (!forward) return undefined;
  const groups =
    forward.ForwardConfig?.TargetGroups ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  return Object.fromEntries(groups.flatMap((group) => (group.TargetGroupArn ? [[group.TargetGroupArn, group.Weight ?? 1]] : [])));
}

function siteOf(arn: string, kind: ForwardSite['kind'], actions: readonly Action[] | undefined, targetGroupArn: string): ForwardSite[] {
  const weights = weightsOf(actions);
  if (!weights || !(targetGroupArn in weights)) return [];
  return [{ arn, kind, weights, otherActions: (actions?.length ?? 1) - 1 }];
}

function listenersOf(ctx: SetupContext, loadBalancerArn: string) {
  return allPages(MAX_PAGES, async (marker) => {
    const out = await ctx.elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, Marker: marker }));
    return { items: out.Listeners ?? [], next: out.NextMarker };
  });
}

async function rulesOf(ctx: SetupContext, listenerArn: string) {
  const rules = await allPages(MAX_PAGES, async (marker) => {
    const out = await ctx.elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker }));
    return { items: out.Rules ?? [], next: out.NextMarker };
  });
  // The default rule is the listener's default action, already looked at.
  return rules.filter((rule) => !rule.IsDefault);
}

export async function forwardSites(ctx: SetupContext, loadBalancerArns: readonly string[], targetGroupArn: string): Promise<ForwardSite[]> {
  const sites: ForwardSite[] = [];
  for (const loadBalancerArn of loadBalancerArns) {
    for (const listener of await listenersOf(ctx, loadBalancerArn)) {
      const listenerArn = listener.ListenerArn ?? '';
      sites.push(...siteOf(listenerArn, 'listener', listener.DefaultActions, targetGroupArn));
      for (const rule of await rulesOf(ctx, listenerArn)) sites.push(...siteOf(rule.RuleArn ?? '', 'rule', rule.Actions, targetGroupArn));
    }
  }
  return sites;
}
