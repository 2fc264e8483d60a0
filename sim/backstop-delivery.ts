/**
 * What the template's EventBridge rules do for the backstop function in AWS:
 * the rule on Step Functions' status-change events invokes it when an
 * execution ends with a status the rule matches, and the scheduled rule
 * invokes it with a sweep.
 */
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import type { DeployedFunction } from './artifact/functions.ts';
import type { BoundDefinition } from './definition.ts';
import type { Authorizer } from './iam/authorizer.ts';
import { type ExecutionResult, namedError } from './stepfunctions/execution.ts';

/** Sweeps after the last execution ended, at most: each one that starts something is followed by another. */
const MAX_SWEEPS = 5;

export interface BackstopTarget {
  readonly bound: BoundDefinition;
  readonly config: BatonConfig;
  readonly iam: Authorizer;
  /** Invokes a deployed function as Lambda does for EventBridge. */
  invoke(fn: DeployedFunction, event: unknown, invoker: 'events.amazonaws.com'): Promise<unknown>;
}

export class BackstopDelivery {
  /** What the backstop handler answered for each execution whose end the status rule delivered. */
  readonly backstop: Array<{ execution: string; result: unknown }> = [];
  /** What the backstop answered each sweep its schedule delivered, with its simulated time. */
  readonly sweeps: Array<{ at: number; result: unknown }> = [];
  private deliveredStatuses: ReadonlySet<string> | undefined;
  private readonly target: BackstopTarget;

  constructor(target: BackstopTarget) {
    this.target = target;
  }

  /** True when the status rule delivers an execution's end with this status (AWS invokes the backstop for those only). */
  delivers(status: string): boolean {
    this.deliveredStatuses ??= this.statuses();
    return this.deliveredStatuses.has(status);
  }

  /** The Step Functions Execution Status Change event of an execution's end, delivered to the backstop. */
  async notify(execution: ExecutionResult): Promise<void> {
    const { bound, config } = this.target;
    const event = {
      version: '0',
      id: `sim-${execution.name}`,
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: config.pipeline.account,
      region: config.pipeline.region,
      time: new Date(Date.now()).toISOString(),
      resources: [execution.arn],
      detail: {
        executionArn: execution.arn,
        stateMachineArn: bound.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: execution.startDate,
        stopDate: execution.stopDate ?? Date.now(),
        error: execution.error ?? null,
        cause: execution.cause ?? null,
        input: JSON.stringify(execution.input ?? null),
      },
    };
    this.backstop.push({ execution: execution.name, result: await this.deliver(event) });
  }

  /**
   * What the backstop's schedule does once every execution has ended: a sweep
   * (EventBridge's "Scheduled Event"), and another after whatever it started
   * has ended, until a sweep starts nothing. The clock is not moved to the
   * next tick (in AWS it comes within one period): what the sweep finds is the
   * same, and the run's other figures stay those of its executions.
   */
  async sweepUntilQuiet(settle: () => Promise<void>, executionCount: () => number): Promise<void> {
    const schedule = this.sweepSchedule();
    if (!schedule) return;
    const { config } = this.target;
    for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
      await settle();
      const started = executionCount();
      const event = {
        version: '0',
        id: `sim-sweep-${sweep}`,
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: config.pipeline.account,
        time: new Date(Date.now()).toISOString(),
        region: config.pipeline.region,
        resources: [schedule.ruleArn],
        detail: {},
      };
      this.sweeps.push({ at: Date.now(), result: await this.deliver(event) });
      await settle();
      if (executionCount() === started) return;
    }
  }

  /** Invokes the backstop with an event, as EventBridge may (its resource policy); what it answered, or the error. */
  private async deliver(event: unknown): Promise<unknown> {
    const backstop = this.target.bound.functions.backstop;
    try {
      if (!this.target.iam.mayInvoke(backstop.logicalId, 'events.amazonaws.com')) {
        throw namedError('AccessDeniedException', `no resource-based policy of ${backstop.name} lets events.amazonaws.com invoke it`);
      }
      return await this.target.invoke(backstop, event, 'events.amazonaws.com');
    } catch (error) {
      return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  /** The rules of the template whose target is the backstop function. */
  private backstopRules(): string[] {
    const { bound } = this.target;
    const backstopArn = bound.resolver.getArn(bound.functions.backstop.logicalId);
    return bound.resolver.resourcesOfType('AWS::Events::Rule').filter((id) => {
      const targets = bound.resolver.property(id, 'Targets') as Array<{ Arn?: unknown }> | undefined;
      return targets?.some((target) => target.Arn === backstopArn) ?? false;
    });
  }

  /** The backstop's sweep schedule in the template: a rule with a rate expression; its ARN. */
  private sweepSchedule(): { readonly ruleArn: string } | undefined {
    const { resolver } = this.target.bound;
    for (const id of this.backstopRules()) {
      const expression = resolver.property(id, 'ScheduleExpression');
      if (typeof expression !== 'string') continue;
      if (!/^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/.test(expression)) {
        throw new Error(`the backstop's schedule ${expression} is not a rate expression`);
      }
      return { ruleArn: resolver.getArn(id) };
    }
    return undefined;
  }

  /** The execution statuses the template's status-change rules deliver to the backstop. */
  private statuses(): ReadonlySet<string> {
    const { bound } = this.target;
    const statuses = this.backstopRules().flatMap((id) => {
      const pattern = bound.resolver.property(id, 'EventPattern') as
        | { source?: string[]; detail?: { status?: string[]; stateMachineArn?: string[] } }
        | undefined;
      if (!pattern?.source?.includes('aws.states') || !pattern.detail?.stateMachineArn?.includes(bound.stateMachineArn)) return [];
      return pattern.detail.status ?? [];
    });
    return new Set(statuses);
  }
}
