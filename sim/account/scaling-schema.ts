/**
 * The account file's Application Auto Scaling section, in the API's own shapes
 * (PascalCase), so the output of `aws application-autoscaling
 * describe-scalable-targets` and `describe-scaling-policies` pastes in as is
 * (the fields the service fills in, ARNs, alarms and creation times, are
 * accepted and ignored: the simulated account gives its own).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

const SuspendedStateSchema = z.strictObject({
  DynamicScalingInSuspended: z.boolean().default(false),
  DynamicScalingOutSuspended: z.boolean().default(false),
  ScheduledScalingSuspended: z.boolean().default(false),
});
export type SuspendedState = z.infer<typeof SuspendedStateSchema>;
export const NOT_SUSPENDED: SuspendedState = SuspendedStateSchema.parse({});

/** What identifies a scalable target (and the target of a policy). */
const TargetKeySchema = {
  ServiceNamespace: z.literal('ecs'),
  ResourceId: z.string().regex(/^service\/[^/]+\/[^/]+$/, { message: 'an ECS service is service/<cluster>/<service>' }),
  ScalableDimension: z.literal('ecs:service:DesiredCount'),
};

/** Fields the service fills in, accepted so that Describe output pastes in; the simulated account makes its own. */
const ServiceFilled = {
  CreationTime: z.union([z.string(), z.number()]).optional(),
  RoleARN: z.string().optional(),
  ScalableTargetARN: z.string().optional(),
  PredictedCapacity: z.number().optional(),
};

export const ScalableTargetSchema = z
  .strictObject({
    ...TargetKeySchema,
    MinCapacity: z.number().int().min(0),
    MaxCapacity: z.number().int().min(0),
    SuspendedState: SuspendedStateSchema.default(NOT_SUSPENDED),
    ...ServiceFilled,
  })
  .refine((target) => target.MinCapacity <= target.MaxCapacity, { message: 'MinCapacity cannot be more than MaxCapacity' });
export type ScalableTargetSpec = z.infer<typeof ScalableTargetSchema>;

/** The predefined metrics of an ECS service (Application Auto Scaling User Guide, "Target tracking scaling policies": Amazon ECS). */
export const ECS_METRICS = ['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization', 'ALBRequestCountPerTarget'] as const;

const TargetTrackingSchema = z
  .object({
    TargetValue: z.number().positive(),
    PredefinedMetricSpecification: z
      .strictObject({ PredefinedMetricType: z.enum(ECS_METRICS), ResourceLabel: z.string().optional() })
      .refine((metric) => metric.PredefinedMetricType !== 'ALBRequestCountPerTarget' || metric.ResourceLabel !== undefined, {
        message: 'ALBRequestCountPerTarget needs a ResourceLabel (app/<load balancer>/<id>/targetgroup/<target group>/<id>)',
      })
      .optional(),
    /** Stored and returned; the simulated autoscaler does not evaluate customized metrics. */
    CustomizedMetricSpecification: z.record(z.string(), z.unknown()).optional(),
    ScaleOutCooldown: z.number().int().min(0).optional(),
    ScaleInCooldown: z.number().int().min(0).optional(),
    DisableScaleIn: z.boolean().optional(),
  })
  .passthrough();
export type TargetTrackingSpec = z.infer<typeof TargetTrackingSchema>;

export const ScalingPolicySchema = z
  .strictObject({
    PolicyName: z.string().min(1).max(256),
    ...TargetKeySchema,
    /** StepScaling and PredictiveScaling policies are stored and returned, never acted on by the simulated autoscaler. */
    PolicyType: z.enum(['TargetTrackingScaling', 'StepScaling', 'PredictiveScaling']),
    TargetTrackingScalingPolicyConfiguration: TargetTrackingSchema.optional(),
    StepScalingPolicyConfiguration: z.record(z.string(), z.unknown()).optional(),
    PredictiveScalingPolicyConfiguration: z.record(z.string(), z.unknown()).optional(),
    PolicyARN: z.string().optional(),
    Alarms: z.array(z.object({ AlarmName: z.string(), AlarmARN: z.string() })).optional(),
    CreationTime: z.union([z.string(), z.number()]).optional(),
  })
  .refine((policy) => policy.PolicyType !== 'TargetTrackingScaling' || policy.TargetTrackingScalingPolicyConfiguration !== undefined, {
    message: 'a TargetTrackingScaling policy needs its TargetTrackingScalingPolicyConfiguration',
  });
export type ScalingPolicySpec = z.infer<typeof ScalingPolicySchema>;

/** A scheduled action, as DescribeScheduledActions returns it: stored and returned, never run by the simulated autoscaler. */
export const ScheduledActionSchema = z.strictObject({
  ScheduledActionName: z.string().min(1).max(256),
  ...TargetKeySchema,
  Schedule: z.string().min(1),
  Timezone: z.string().optional(),
  ScalableTargetAction: z.strictObject({
    MinCapacity: z.number().int().min(0).optional(),
    MaxCapacity: z.number().int().min(0).optional(),
  }),
});
export type ScheduledActionSpec = z.infer<typeof ScheduledActionSchema>;

export const ApplicationAutoScalingSchema = z.strictObject({
  ScalableTargets: z.array(ScalableTargetSchema).default([]),
  ScalingPolicies: z.array(ScalingPolicySchema).default([]),
  ScheduledActions: z.array(ScheduledActionSchema).default([]),
});
export type ApplicationAutoScalingSpec = z.infer<typeof ApplicationAutoScalingSchema>;

/** What names a scalable target. */
export interface TargetId {
  readonly ServiceNamespace: string;
  readonly ResourceId: string;
  readonly ScalableDimension: string;
}

/** `<namespace>|<resource id>|<dimension>`: one scalable target. */
export function targetKey(target: TargetId): string {
  return `${target.ServiceNamespace}|${target.ResourceId}|${target.ScalableDimension}`;
}

/** A 32-hex id from the text: the same target or policy always gets the same ARN. */
export function hexId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The ARN of the scalable target `id` (Service Authorization Reference, Application Auto Scaling: scalable-target/<id>). */
export function scalableTargetArn(region: string, account: string, id: TargetId): string {
  return `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${hexId(targetKey(id))}`;
}

/**
 * What the section says that the rest of the account contradicts: a target
 * naming no ECS service of the account, two targets for one resource, a policy
 * whose target is not registered. Empty when it holds together.
 */
export function scalingProblems(section: ApplicationAutoScalingSpec, services: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const targets = new Set<string>();
  for (const [index, target] of section.ScalableTargets.entries()) {
    const key = targetKey(target);
    if (!services.has(target.ResourceId.slice('service/'.length))) {
      problems.push(`ScalableTargets[${index}]: ${target.ResourceId} is no service of the account's ecs section`);
    }
    if (targets.has(key)) problems.push(`ScalableTargets[${index}]: ${target.ResourceId} is registered twice`);
    targets.add(key);
  }
  const policies = new Set<string>();
  for (const [index, policy] of section.ScalingPolicies.entries()) {
    const key = `${targetKey(policy)}|${policy.PolicyName}`;
    if (!targets.has(targetKey(policy))) {
      problems.push(`ScalingPolicies[${index}] (${policy.PolicyName}): no scalable target is registered for ${policy.ResourceId}`);
    }
    if (policies.has(key)) problems.push(`ScalingPolicies[${index}]: ${policy.PolicyName} is defined twice for ${policy.ResourceId}`);
    policies.add(key);
  }
  return problems;
}
