/**
 * What the template's signal rules do in AWS (lib/constructs/signal-rules.ts):
 * CloudWatch puts a "CloudWatch Alarm State Change" event on the default bus
 * at every state change of an alarm, ECS an "ECS Task State Change" event at
 * every task state change; each rule whose pattern matches invokes the signal
 * function asynchronously. Here the account model reports alarms and stopped
 * tasks (AccountModel.onAlarmStateChange, onTaskStopped); the event is
 * matched against every enabled rule of the template that targets the signal
 * function, and the function is invoked EVENT_DELIVERY_MS later on the virtual
 * clock, as events.amazonaws.com (its resource policy must allow that).
 */

import type { AccountModel } from './account/model.ts';
import type { AlarmStateChange, TaskStopped } from './account/state-changes.ts';
import type { DeployedFunction } from './artifact/functions.ts';
import type { VirtualClock } from './clock.ts';
import type { BoundDefinition } from './definition.ts';
import { matchesPattern } from './event-pattern.ts';
import type { Authorizer } from './iam/authorizer.ts';
import { namedError } from './stepfunctions/execution.ts';

/**
 * From the state change to the invocation. AWS documents no figure for
 * service events; EventBridge's own latency is typically about half a second
 * ("Amazon EventBridge ... typical latency of about half a second",
 * https://aws.amazon.com/eventbridge/faqs/). A fixed delay keeps runs deterministic.
 */
export const EVENT_DELIVERY_MS = 500;

export interface SignalTarget {
  readonly bound: BoundDefinition;
  readonly iam: Authorizer;
  readonly clock: VirtualClock;
  invoke(fn: DeployedFunction, event: unknown, invoker: 'events.amazonaws.com'): Promise<unknown>;
}

type EventPattern = Record<string, unknown>;

export class SignalDelivery {
  /** Every event a rule delivered, with its simulated time and what the signal function answered. */
  readonly delivered: Array<{ at: number; event: Record<string, unknown>; result: unknown }> = [];
  private rulesCache: Array<{ id: string; pattern: EventPattern }> | undefined;
  private readonly pending = new Set<Promise<void>>();
  private readonly target: SignalTarget;
  private readonly model: AccountModel;

  constructor(target: SignalTarget, model: AccountModel) {
    this.target = target;
    this.model = model;
    model.onAlarmStateChange((change) => this.publish(this.alarmEvent(change)));
    model.onTaskStopped((stopped) => this.publish(this.taskEvent(stopped)));
  }

  /** Resolves once every delivery under way has been invoked. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private envelope(source: string, detailType: string, at: number, resources: string[], detail: Record<string, unknown>) {
    return {
      version: '0',
      id: `sim-event-${this.delivered.length + this.pending.size + 1}`,
      'detail-type': detailType,
      source,
      account: this.model.account,
      time: new Date(at).toISOString(),
      region: this.model.region,
      resources,
      detail,
    };
  }

  private alarmEvent(change: AlarmStateChange): Record<string, unknown> {
    const timestamp = new Date(change.at).toISOString();
    return this.envelope('aws.cloudwatch', 'CloudWatch Alarm State Change', change.at, [change.alarmArn], {
      alarmName: change.alarmName,
      state: { value: change.state, reason: change.reason, timestamp },
      previousState: { value: change.previous, timestamp },
    });
  }

  private taskEvent(stopped: TaskStopped): Record<string, unknown> {
    return this.envelope('aws.ecs', 'ECS Task State Change', stopped.at, [stopped.taskArn], {
      clusterArn: stopped.clusterArn,
      taskArn: stopped.taskArn,
      group: stopped.group,
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: stopped.stopCode,
      stoppedReason: stopped.stoppedReason,
      stoppedAt: new Date(stopped.at).toISOString(),
    });
  }

  /** Puts the event on the bus: each enabled rule that matches delivers it to the signal function. */
  private publish(event: Record<string, unknown>): void {
    const matching = this.rules().filter((rule) => !this.model.disabledRules.has('signal') && matchesPattern(rule.pattern, event));
    for (const _rule of matching) {
      const delivery = this.deliver(event).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
  }

  private async deliver(event: Record<string, unknown>): Promise<void> {
    const { clock, bound, iam } = this.target;
    await clock.working(async () => {
      await clock.sleep('', EVENT_DELIVERY_MS);
      const signal = bound.functions.signal;
      let result: unknown;
      try {
        if (!iam.mayInvoke(signal.logicalId, 'events.amazonaws.com')) {
          throw namedError('AccessDeniedException', `no resource-based policy of ${signal.name} lets events.amazonaws.com invoke it`);
        }
        result = await this.target.invoke(signal, event, 'events.amazonaws.com');
      } catch (error) {
        result = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      this.delivered.push({ at: Date.now(), event, result });
    });
  }

  /** The rules of the template whose target is the signal function, with their patterns. */
  private rules(): Array<{ id: string; pattern: EventPattern }> {
    if (this.rulesCache) return this.rulesCache;
    const { resolver, functions } = this.target.bound;
    const signalArn = resolver.getArn(functions.signal.logicalId);
    this.rulesCache = resolver.resourcesOfType('AWS::Events::Rule').flatMap((id) => {
      const targets = resolver.property(id, 'Targets') as Array<{ Arn?: unknown }> | undefined;
      if (!targets?.some((target) => target.Arn === signalArn)) return [];
      if ((resolver.property(id, 'State') ?? 'ENABLED') !== 'ENABLED') return [];
      return [{ id, pattern: resolver.property(id, 'EventPattern') as EventPattern }];
    });
    return this.rulesCache;
  }
}
