/** Reads a colour's scalable target and scaling policies from Application Auto Scaling (snapshot.ts has the shape). */
import {
  type ScalingPolicy as AwsScalingPolicy,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { scaling } from '../clients/scaling.ts';
import { ContractViolationError } from '../errors.ts';
import { type ColourScaling, DIMENSION, NAMESPACE, resourceId, type ScalingPolicy, ScalingPolicySchema } from './snapshot.ts';

export async function readColourScaling(cluster: string, serviceName: string): Promise<ColourScaling> {
  const id = resourceId(cluster, serviceName);
  const targets = await scaling().send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: [id], ScalableDimension: DIMENSION }),
  );
  const target = targets.ScalableTargets?.find((t) => t.ResourceId === id && t.ScalableDimension === DIMENSION);
  if (!target) return { registered: false };
  const policies = await readPolicies(cluster, serviceName);
  return {
    registered: true,
    min: target.MinCapacity ?? 0,
    max: target.MaxCapacity ?? 0,
    suspended: {
      dynamicScalingIn: target.SuspendedState?.DynamicScalingInSuspended ?? false,
      dynamicScalingOut: target.SuspendedState?.DynamicScalingOutSuspended ?? false,
      scheduledScaling: target.SuspendedState?.ScheduledScalingSuspended ?? false,
    },
    policies,
  };
}

/** A colour's scaling policies, by name (none when it has no scalable target). */
export async function readPolicies(cluster: string, serviceName: string): Promise<ScalingPolicy[]> {
  const id = resourceId(cluster, serviceName);
  const policies: ScalingPolicy[] = [];
  let NextToken: string | undefined;
  do {
    const page = await scaling().send(
      new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: id, ScalableDimension: DIMENSION, NextToken }),
    );
    for (const policy of page.ScalingPolicies ?? []) policies.push(policyOf(policy, id));
    NextToken = page.NextToken;
  } while (NextToken);
  return policies.sort((a, b) => a.name.localeCompare(b.name));
}

/** A policy as DescribeScalingPolicies returns it, checked at the boundary. */
function policyOf(policy: AwsScalingPolicy, id: string): ScalingPolicy {
  const parsed = ScalingPolicySchema.safeParse({
    name: policy.PolicyName,
    type: policy.PolicyType,
    targetTracking: policy.TargetTrackingScalingPolicyConfiguration,
    stepScaling: policy.StepScalingPolicyConfiguration,
    predictive: policy.PredictiveScalingPolicyConfiguration,
  });
  if (!parsed.success) {
    throw new ContractViolationError(
      `scaling policy ${policy.PolicyName ?? '?'} of ${id} is not one Baton reads (${policy.PolicyType ?? 'no type'}): ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  return parsed.data;
}

/** The names of the scheduled actions of a colour's scalable target (Baton moves none: reconcile.ts refuses them). */
export async function scheduledActionNames(cluster: string, serviceName: string): Promise<string[]> {
  const id = resourceId(cluster, serviceName);
  const names: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await scaling().send(
      new DescribeScheduledActionsCommand({ ServiceNamespace: NAMESPACE, ResourceId: id, ScalableDimension: DIMENSION, NextToken }),
    );
    for (const action of page.ScheduledActions ?? []) if (action.ScheduledActionName) names.push(action.ScheduledActionName);
    NextToken = page.NextToken;
  } while (NextToken);
  return names.sort();
}
