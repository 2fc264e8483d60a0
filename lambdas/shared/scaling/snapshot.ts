/**
 * What Application Auto Scaling holds for one colour: its scalable target
 * (min, max, what is suspended) and its scaling policies, as Validate read it
 * before anything changed. Deploy copies the old colour's onto the new one;
 * Complete and Roll back put each colour back from it (lambdas/shared/scaling/apply.ts).
 * It travels in the state and the record, so a recovery execution restores
 * from it too.
 */
import type {
  PredictiveScalingPolicyConfiguration,
  StepScalingPolicyConfiguration,
  TargetTrackingScalingPolicyConfiguration,
} from '@aws-sdk/client-application-auto-scaling';
import * as z from 'zod';

/** An ECS service's desired count is the only dimension Baton scales (Application Auto Scaling's ResourceId and ScalableDimension). */
export const NAMESPACE = 'ecs' as const;
export const DIMENSION = 'ecs:service:DesiredCount' as const;

export function resourceId(cluster: string, serviceName: string): string {
  return `service/${cluster}/${serviceName}`;
}

const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A policy's configuration is kept in the API's own shape, to be put back as
 * it was read. Only what Baton acts on is checked: the target value of a
 * target tracking policy; the rest goes back to AWS, which validates it.
 */
const TargetTrackingSchema = z.custom<TargetTrackingScalingPolicyConfiguration>(
  (value) => isObject(value) && typeof (value as { TargetValue?: unknown }).TargetValue === 'number',
  { message: 'a target tracking configuration needs a numeric TargetValue' },
);
const StepScalingSchema = z.custom<StepScalingPolicyConfiguration>(isObject);
const PredictiveSchema = z.custom<PredictiveScalingPolicyConfiguration>(isObject);

export const ScalingPolicySchema = z.discriminatedUnion('type', [
  z.object({ name: z.string().min(1), type: z.literal('TargetTrackingScaling'), targetTracking: TargetTrackingSchema }),
  z.object({ name: z.string().min(1), type: z.literal('StepScaling'), stepScaling: StepScalingSchema.optional() }),
  z.object({ name: z.string().min(1), type: z.literal('PredictiveScaling'), predictive: PredictiveSchema.optional() }),
]);
export type ScalingPolicy = z.infer<typeof ScalingPolicySchema>;
export type TargetTrackingPolicy = Extract<ScalingPolicy, { type: 'TargetTrackingScaling' }>;

export const SuspendedSchema = z.object({
  dynamicScalingIn: z.boolean(),
  dynamicScalingOut: z.boolean(),
  scheduledScaling: z.boolean(),
});
export type Suspended = z.infer<typeof SuspendedSchema>;

export const ColourScalingSchema = z.discriminatedUnion('registered', [
  z.object({ registered: z.literal(false) }),
  z.object({
    registered: z.literal(true),
    min: z.number().int().min(0),
    max: z.number().int().min(0),
    suspended: SuspendedSchema,
    policies: z.array(ScalingPolicySchema),
  }),
]);
export type ColourScaling = z.infer<typeof ColourScalingSchema>;
export type RegisteredScaling = Extract<ColourScaling, { registered: true }>;

/** Both colours' scaling, by colour name. */
export const ScalingSnapshotSchema = z.object({ blue: ColourScalingSchema, green: ColourScalingSchema });
export type ScalingSnapshot = z.infer<typeof ScalingSnapshotSchema>;

/**
 * The state's and the record's `scaling`: the colours before the deployment
 * changed them, every change it made, in order, and, once it ended, the colours after.
 */
export const ScalingRecordSchema = z.object({
  before: ScalingSnapshotSchema,
  changes: z.array(z.string()).default([]),
  after: ScalingSnapshotSchema.optional(),
});
export type ScalingRecord = z.infer<typeof ScalingRecordSchema>;

/** One colour's scaling in words: `min 2, max 10, scale-in suspended, policies cpu-60`. */
export function describeScaling(scaling: ColourScaling): string {
  if (!scaling.registered) return 'no scalable target';
  const suspended = [
    scaling.suspended.dynamicScalingIn ? 'scale-in' : '',
    scaling.suspended.dynamicScalingOut ? 'scale-out' : '',
    scaling.suspended.scheduledScaling ? 'scheduled scaling' : '',
  ].filter(Boolean);
  const policies = scaling.policies.map((policy) => policy.name).join(', ') || 'none';
  const held = suspended.length === 3 ? 'all scaling' : suspended.join(' and ');
  return `min ${scaling.min}, max ${scaling.max}${held ? `, ${held} suspended` : ''}, policies ${policies}`;
}
