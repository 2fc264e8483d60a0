/**
 * signal: the event-driven gate. EventBridge delivers CloudWatch's "CloudWatch
 * Alarm State Change" events of the services' alarms entering ALARM and ECS's
 * "ECS Task State Change" events of their colours' tasks stopping (the rules:
 * lib/constructs/signal-rules.ts); this writes each as a signal on the
 * service's lock, which the deployment holding it reads within a second while
 * it watches (lambdas/shared/signals.ts, watch.ts). A service nobody deploys
 * has no lock item, and nothing is written.
 */
import * as z from 'zod';
import type { ServiceConfig } from '../shared/config-schema.ts';
import type { Signal } from '../shared/lock/table.ts';
import { logger } from '../shared/logger.ts';
import { definePhase } from '../shared/phase.ts';
import { pipelineConfig } from '../shared/runtime-config.ts';
import { recordSignal } from '../shared/signals.ts';

/** https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html (example events). */
const AlarmStateChangeSchema = z.object({
  id: z.string(),
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.string().default('') }),
  }),
});

/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html (task state change events). */
const TaskStateChangeSchema = z.object({
  id: z.string(),
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Task State Change'),
  time: z.string(),
  detail: z.object({
    clusterArn: z.string(),
    taskArn: z.string(),
    /** "service:<name>" for a task a service started. */
    group: z.string().optional(),
    lastStatus: z.string(),
    stopCode: z.string().optional(),
    stoppedReason: z.string().optional(),
  }),
});

const SignalEventSchema = z.discriminatedUnion('source', [AlarmStateChangeSchema, TaskStateChangeSchema]);
type SignalEvent = z.infer<typeof SignalEventSchema>;

export interface SignalResult {
  /** The services whose lock got the signal (held by a deployment). */
  readonly signalled: string[];
  /** The services the event concerns whose lock nobody holds. */
  readonly idle: string[];
}

/** The services an event concerns, and the signal it is for them; none when it reports nothing bad. */
function signalsOf(event: SignalEvent, services: readonly ServiceConfig[]): Array<{ service: string; signal: Signal }> {
  if (event.source === 'aws.cloudwatch') {
    const { alarmName, state } = event.detail;
    if (state.value !== 'ALARM') return [];
    return services
      .filter((service) => service.alarms.includes(alarmName))
      .map((service) => ({ service: service.name, signal: { kind: 'alarm', subject: alarmName, at: event.time, reason: state.reason } }));
  }
  const { clusterArn, group, lastStatus, taskArn, stopCode, stoppedReason } = event.detail;
  if (lastStatus !== 'STOPPED' || !group?.startsWith('service:')) return [];
  const serviceName = group.slice('service:'.length);
  const cluster = clusterArn.split('/').pop();
  const reason = [stopCode, stoppedReason].filter(Boolean).join(': ') || 'no reason given';
  return services
    .filter((service) => service.cluster === cluster && [service.blue.serviceName, service.green.serviceName].includes(serviceName))
    .map((service) => ({ service: service.name, signal: { kind: 'task', subject: taskArn, serviceName, at: event.time, reason } }));
}

export const handler = definePhase(
  'signal',
  SignalEventSchema,
  async (event): Promise<SignalResult> => {
    const result: SignalResult = { signalled: [], idle: [] };
    for (const { service, signal } of signalsOf(event, pipelineConfig().services)) {
      const holder = await recordSignal(service, signal);
      (holder ? result.signalled : result.idle).push(service);
      logger.info(holder ? 'signal recorded' : 'signal for a service nobody deploys', {
        targetService: service,
        ...(holder ? { deploymentId: holder } : {}),
        signal,
      });
    }
    return result;
  },
  // An event belongs to no one deployment: its lines name the event (and the deployment it reached, if any).
  { track: false, identify: () => undefined, logKeys: (event) => ({ event: event.id }) },
);
