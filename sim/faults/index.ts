/**
 * Named faults, one registry. Each bends the simulated account (its starting
 * state, an API call, or the moment a state is entered) the way the real
 * world would; they are grouped by what they act on. Faults name states
 * through STATE_NAMES, so renaming a state cannot silently disarm one.
 */
import { ALARM_FAULTS } from './alarms.ts';
import type { Fault } from './fault.ts';
import { METRIC_FAULTS } from './metrics.ts';
import { PLATFORM_FAULTS } from './platform.ts';
import { RECORD_FAULTS } from './records.ts';
import { RESOURCE_FAULTS } from './resources.ts';
import { SCALING_FAULTS } from './scaling.ts';
import { TASK_FAULTS } from './tasks.ts';
import { TRAFFIC_FAULTS } from './traffic.ts';

export const FAULTS: Record<string, Fault> = {
  ...RESOURCE_FAULTS,
  ...RECORD_FAULTS,
  ...TASK_FAULTS,
  ...TRAFFIC_FAULTS,
  ...ALARM_FAULTS,
  ...METRIC_FAULTS,
  ...PLATFORM_FAULTS,
  ...SCALING_FAULTS,
};

/** `deny:<service>:<Action>` or `deny:<service>:<Action>@<function>`: IAM drift. */
const DENY_FAULT = /^deny:([a-z0-9-]+:[A-Za-z0-9*]+)(?:@([A-Za-z]+))?$/;

export function isDenyFault(spec: string): boolean {
  return spec.startsWith('deny:');
}

/** IAM drift: the action is denied to one function's role (`@<function>`), or to every role of the stack. */
function denyFault(spec: string): Fault {
  const match = DENY_FAULT.exec(spec);
  if (!match?.[1]) {
    throw new Error(
      `fault "${spec}": write deny:<service>:<Action>[@<function>], e.g. deny:elasticloadbalancing:ModifyListener@shiftTraffic`,
    );
  }
  const [, action, phase] = match as unknown as [string, string, string | undefined];
  return {
    description: `IAM drift: ${action} is denied to ${phase ? `the ${phase} function's role` : 'every role of the stack'}.`,
    expected: 'ROLLED_BACK',
    apply: (ctx) => ctx.denyAction(action, phase),
  };
}

/** `name` or `name@service`: a fault, and the service it is aimed at. */
export function parseFault(spec: string): { fault: Fault; name: string; target: string | undefined } {
  if (isDenyFault(spec)) return { fault: denyFault(spec), name: spec, target: undefined };
  const [name = '', target, ...rest] = spec.split('@');
  const fault = Object.hasOwn(FAULTS, name) ? FAULTS[name] : undefined;
  if (!fault || rest.length > 0 || target === '')
    throw new Error(`unknown fault "${spec}"; see --list-faults (aim one at a service with name@service)`);
  return { fault, name, target };
}
