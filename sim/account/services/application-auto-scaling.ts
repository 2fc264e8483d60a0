/**
 * Application Auto Scaling: scalable targets and scaling policies of ECS
 * services (the account's ScalingState), and the autoscaler's activities.
 * Messages as the service words them (the ObjectNotFoundException texts are
 * those AWS returns, e.g. "No scalable target registered for service
 * namespace: ecs, resource ID: ..., scalable dimension: ...").
 */
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  ValidationException,
} from '@aws-sdk/client-application-auto-scaling';
import type { AccountModel } from '../model.ts';
import type { ScalableTarget, ScalingPolicy } from '../scaling.ts';
import { hexId, ScalingPolicySchema, type SuspendedState, type TargetId } from '../scaling-schema.ts';
import { errorMeta, META, type ServiceSetup } from './common.ts';

interface TargetInput {
  ServiceNamespace?: string;
  ResourceId?: string;
  ScalableDimension?: string;
}

interface RegisterInput extends TargetInput {
  MinCapacity?: number;
  MaxCapacity?: number;
  SuspendedState?: Partial<SuspendedState>;
}

interface PolicyInput extends TargetInput {
  PolicyName?: string;
  PolicyType?: string;
  [field: string]: unknown;
}

const invalid = (message: string) => new ValidationException({ message, ...errorMeta(400) });
const notFound = (message: string) => new ObjectNotFoundException({ message, ...errorMeta(400) });

/** The target the input names: only ECS services' desired counts are modelled. */
function targetOf(input: TargetInput): TargetId {
  const { ServiceNamespace, ResourceId, ScalableDimension } = input;
  if (ServiceNamespace !== 'ecs' || ScalableDimension !== 'ecs:service:DesiredCount' || !/^service\/[^/]+\/[^/]+$/.test(ResourceId ?? '')) {
    throw invalid('Unsupported service namespace, resource type or scalable dimension');
  }
  return { ServiceNamespace, ResourceId: ResourceId ?? '', ScalableDimension };
}

const where = (id: TargetId) =>
  `service namespace: ${id.ServiceNamespace}, resource ID: ${id.ResourceId}, scalable dimension: ${id.ScalableDimension}`;

/** The ECS service-linked role Application Auto Scaling uses for an ECS service. */
const roleArn = (m: AccountModel) =>
  `arn:aws:iam::${m.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`;

function describeTarget(m: AccountModel, target: ScalableTarget) {
  const { CreationTime, ...rest } = structuredClone(target);
  return { ...rest, RoleARN: roleArn(m), CreationTime: new Date(CreationTime) };
}

function describePolicy(policy: ScalingPolicy) {
  const { CreationTime, ...rest } = structuredClone(policy);
  return { ...rest, CreationTime: new Date(CreationTime) };
}

/** Whether `value` passes a list filter of a Describe call: absent or empty, everything does. */
const listed = (filter: string[] | undefined, value: string) => filter === undefined || filter.length === 0 || filter.includes(value);

/** What the Describe call asks for: ServiceNamespace is required. */
function describing<I extends TargetInput>(input: I): I {
  if (!input.ServiceNamespace) throw invalid('ServiceNamespace is required');
  return input;
}

/** Whether a target or policy is one a Describe call asks for: its namespace, resources and dimension. */
function asked(item: TargetId, input: TargetInput & { ResourceIds?: string[] }): boolean {
  const resources = input.ResourceIds ?? (input.ResourceId === undefined ? undefined : [input.ResourceId]);
  return (
    item.ServiceNamespace === input.ServiceNamespace &&
    listed(resources, item.ResourceId) &&
    (input.ScalableDimension === undefined || item.ScalableDimension === input.ScalableDimension)
  );
}

function describeScalableTargets(m: AccountModel, input: TargetInput & { ResourceIds?: string[] }) {
  describing(input);
  const targets = m.scaling.targets().filter((target) => asked(target, input));
  return { ...META, ScalableTargets: targets.map((target) => describeTarget(m, target)) };
}

/**
 * Creates a target (MinCapacity and MaxCapacity required: "This parameter is required if you are registering a new
 * scalable target") or updates the fields given. The new bounds move the desired count into them (ScalingState.register).
 */
function registerScalableTarget(m: AccountModel, input: RegisterInput) {
  const id = targetOf(input);
  const [, cluster = '', name = ''] = id.ResourceId.split('/');
  if (!m.service(cluster, name)) throw invalid(`ECS service doesn't exist: ${id.ResourceId}`);
  const existing = m.scaling.target(id);
  if (!existing && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
    throw invalid('MinCapacity and MaxCapacity are required when registering a new scalable target');
  }
  for (const [field, value] of [
    ['MinCapacity', input.MinCapacity],
    ['MaxCapacity', input.MaxCapacity],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) throw invalid(`${field} must be an integer of 0 or more`);
  }
  const min = input.MinCapacity ?? existing?.MinCapacity ?? 0;
  const max = input.MaxCapacity ?? existing?.MaxCapacity ?? 0;
  if (min > max) throw invalid('Minimum capacity cannot be greater than maximum capacity');
  const target = m.scaling.register(id, {
    ...(input.MinCapacity !== undefined ? { MinCapacity: input.MinCapacity } : {}),
    ...(input.MaxCapacity !== undefined ? { MaxCapacity: input.MaxCapacity } : {}),
    ...(input.SuspendedState ? { SuspendedState: definedOnly(input.SuspendedState) } : {}),
  });
  return { ...META, ScalableTargetARN: target.ScalableTargetARN };
}

/** The flags the caller gave (the SDK leaves an omitted one undefined): the others keep their value. */
function definedOnly(state: Partial<SuspendedState>): Partial<SuspendedState> {
  return Object.fromEntries(Object.entries(state).filter(([, value]) => typeof value === 'boolean'));
}

function deregisterScalableTarget(m: AccountModel, input: TargetInput) {
  const id = targetOf(input);
  if (!m.scaling.deregister(id)) throw notFound(`No scalable target found for ${where(id)}`);
  return { ...META };
}

function describeScalingPolicies(m: AccountModel, input: TargetInput & { PolicyNames?: string[] }) {
  describing(input);
  const policies = m.scaling.policies().filter((policy) => asked(policy, input) && listed(input.PolicyNames, policy.PolicyName));
  return { ...META, ScalingPolicies: policies.map(describePolicy) };
}

/** Creates or replaces the policy of that name on a registered target (PolicyType, when omitted, is StepScaling). */
function putScalingPolicy(m: AccountModel, input: PolicyInput) {
  const id = targetOf(input);
  if (!m.scaling.target(id)) throw notFound(`No scalable target registered for ${where(id)}`);
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const parsed = ScalingPolicySchema.safeParse({ ...defined, PolicyType: input.PolicyType ?? 'StepScaling' });
  if (!parsed.success) throw invalid(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '));
  const policy = m.scaling.putPolicy(parsed.data);
  return { ...META, PolicyARN: policy.PolicyARN, Alarms: structuredClone([...policy.Alarms]) };
}

function deleteScalingPolicy(m: AccountModel, input: PolicyInput) {
  const id = targetOf(input);
  const policy = m.scaling.policiesOf(id).find((candidate) => candidate.PolicyName === input.PolicyName);
  if (!policy) throw notFound(`No scaling policy found for ${where(id)}, policy name: ${input.PolicyName ?? ''}`);
  m.scaling.deletePolicy(policy);
  return { ...META };
}

/** The autoscaler's activities, newest first. */
function describeScalingActivities(m: AccountModel, input: TargetInput) {
  describing(input);
  const activities = m.scaling.activities
    .filter((activity) =>
      asked({ ServiceNamespace: 'ecs', ResourceId: activity.resourceId, ScalableDimension: 'ecs:service:DesiredCount' }, input),
    )
    .reverse()
    .map((activity) => ({
      ActivityId: activity.id,
      ServiceNamespace: 'ecs' as const,
      ResourceId: activity.resourceId,
      ScalableDimension: 'ecs:service:DesiredCount' as const,
      Description: `Setting desired count to ${activity.to}.`,
      Cause: activity.cause,
      StartTime: new Date(activity.at),
      EndTime: new Date(activity.at),
      StatusCode: 'Successful' as const,
      StatusMessage: `Successfully set desired count to ${activity.to}. Change successfully fulfilled by ecs.`,
    }));
  return { ...META, ScalingActivities: activities };
}

/** DescribeScheduledActions: the account's scheduled actions, filtered like the other Describe calls. */
function describeScheduledActions(m: AccountModel, input: TargetInput & { ScheduledActionNames?: string[] }) {
  const { ServiceNamespace, ResourceId, ScalableDimension, ScheduledActionNames } = describing(input);
  const ScheduledActions = m.scaling.scheduledActions
    .filter(
      (action) =>
        action.ServiceNamespace === ServiceNamespace &&
        (ResourceId === undefined || action.ResourceId === ResourceId) &&
        (ScalableDimension === undefined || action.ScalableDimension === ScalableDimension) &&
        listed(ScheduledActionNames, action.ScheduledActionName),
    )
    .map((action) => ({
      ...structuredClone(action),
      ScheduledActionARN: `arn:aws:autoscaling:${m.region}:${m.account}:scheduledAction:${hexId(action.ResourceId)}:resource/ecs/${action.ResourceId}:scheduledActionName/${action.ScheduledActionName}`,
      CreationTime: new Date(0),
    }));
  return { ...META, ScheduledActions };
}

export function installApplicationAutoScaling({ model: m, stubs, route }: ServiceSetup): void {
  const client = stubs.stub(ApplicationAutoScalingClient);
  const service = 'application-autoscaling';
  client
    .on(DescribeScalableTargetsCommand)
    .callsFake(
      route(service, 'DescribeScalableTargets', (input: TargetInput & { ResourceIds?: string[] }) => describeScalableTargets(m, input)),
    );
  client
    .on(RegisterScalableTargetCommand)
    .callsFake(route(service, 'RegisterScalableTarget', (input: RegisterInput) => registerScalableTarget(m, input)));
  client
    .on(DeregisterScalableTargetCommand)
    .callsFake(route(service, 'DeregisterScalableTarget', (input: TargetInput) => deregisterScalableTarget(m, input)));
  client
    .on(DescribeScalingPoliciesCommand)
    .callsFake(
      route(service, 'DescribeScalingPolicies', (input: TargetInput & { PolicyNames?: string[] }) => describeScalingPolicies(m, input)),
    );
  client.on(PutScalingPolicyCommand).callsFake(route(service, 'PutScalingPolicy', (input: PolicyInput) => putScalingPolicy(m, input)));
  client
    .on(DeleteScalingPolicyCommand)
    .callsFake(route(service, 'DeleteScalingPolicy', (input: PolicyInput) => deleteScalingPolicy(m, input)));
  client
    .on(DescribeScheduledActionsCommand)
    .callsFake(
      route(service, 'DescribeScheduledActions', (input: TargetInput & { ScheduledActionNames?: string[] }) =>
        describeScheduledActions(m, input),
      ),
    );
  client
    .on(DescribeScalingActivitiesCommand)
    .callsFake(route(service, 'DescribeScalingActivities', (input: TargetInput) => describeScalingActivities(m, input)));
}
