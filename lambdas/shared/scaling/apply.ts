/**
 * The colours' scaling through a deployment (services[].autoscaling):
 * - deploy (holdColours): scale-in is suspended on both colours, and the new
 *   colour gets the old one's min, max and target tracking policies, so it
 *   scales as the old one did while scale-out still finds capacity;
 * - complete (retireScaling): the new colour's scale-in resumes as the old
 *   colour had it, and the old colour's min and max go to 0, so its
 *   autoscaler cannot revive it;
 * - roll back (restoreColour): each colour back to what Validate read.
 * Every call writes absolute values (docs/architecture.md I6): a retry writes the same again.
 */
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { scaling } from '../clients/scaling.ts';
import type { ColourState } from '../contract.ts';
import { ContractViolationError } from '../errors.ts';
import { logger } from '../logger.ts';
import { readColourScaling, readPolicies } from './read.ts';
import { copyPlan, isTargetTracking } from './reconcile.ts';
import {
  type ColourScaling,
  DIMENSION,
  NAMESPACE,
  type RegisteredScaling,
  resourceId,
  type ScalingSnapshot,
  type Suspended,
  type TargetTrackingPolicy,
} from './snapshot.ts';

interface Colours {
  readonly cluster: string;
  readonly live: ColourState;
  readonly idle: ColourState;
  readonly before: ScalingSnapshot;
}

const target = (cluster: string, colour: ColourState) => ({
  ServiceNamespace: NAMESPACE,
  ResourceId: resourceId(cluster, colour.serviceName),
  ScalableDimension: DIMENSION,
});

const suspendedState = (suspended: Suspended) => ({
  DynamicScalingInSuspended: suspended.dynamicScalingIn,
  DynamicScalingOutSuspended: suspended.dynamicScalingOut,
  ScheduledScalingSuspended: suspended.scheduledScaling,
});

async function register(cluster: string, colour: ColourState, fields: { min?: number; max?: number; suspended: Suspended }) {
  await scaling().send(
    new RegisterScalableTargetCommand({
      ...target(cluster, colour),
      ...(fields.min === undefined ? {} : { MinCapacity: fields.min }),
      ...(fields.max === undefined ? {} : { MaxCapacity: fields.max }),
      SuspendedState: suspendedState(fields.suspended),
    }),
  );
}

async function putPolicy(cluster: string, colour: ColourState, policy: TargetTrackingPolicy) {
  await scaling().send(
    new PutScalingPolicyCommand({
      ...target(cluster, colour),
      PolicyName: policy.name,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: policy.targetTracking,
    }),
  );
}

async function deletePolicy(cluster: string, colour: ColourState, name: string) {
  try {
    await scaling().send(new DeleteScalingPolicyCommand({ ...target(cluster, colour), PolicyName: name }));
  } catch (error) {
    // Gone already (an earlier attempt deleted it): what was wanted.
    if (!(error instanceof ObjectNotFoundException)) throw error;
  }
}

/** The live colour's scaling as Validate read it: registered, or Validate would have refused (reconcile.ts). */
function liveScaling({ live, before }: Colours): RegisteredScaling {
  const scaling = before[live.colour];
  if (!scaling.registered) throw new ContractViolationError(`${live.serviceName} has no scalable target, which Validate refuses`);
  return scaling;
}

/**
 * Deploy, before the new colour is scaled up: both colours stop scaling in;
 * the new one gets the old one's maximum and policies. Its minimum stays 0
 * until Complete: a minimum raised now would start tasks of the revision the
 * new colour still runs, before Deploy points it at the release (RegisterScalableTarget
 * moves the current capacity into the new range), and with scale-in held a minimum changes nothing meanwhile.
 * Each change is appended to `changes` as it is made.
 */
export async function holdColours(colours: Colours, changes: string[]): Promise<void> {
  const { cluster, live, idle, before } = colours;
  const old = liveScaling(colours);
  const held = { ...old.suspended, dynamicScalingIn: true };
  await register(cluster, live, { suspended: held });
  changes.push(`${live.serviceName}: scale-in suspended`);
  // The maximum first: the new colour's desired count must not be clamped back to a retired colour's 0.
  await register(cluster, idle, { min: 0, max: old.max, suspended: held });
  const plan = copyPlan({ live: { ...live, scaling: old }, idle: { ...idle, scaling: before[idle.colour] } });
  for (const name of plan.remove) await deletePolicy(cluster, idle, name);
  for (const policy of plan.put) await putPolicy(cluster, idle, policy);
  changes.push(
    `${idle.serviceName}: min 0, max ${old.max}, scale-in suspended, policies ${plan.put.map((p) => p.name).join(', ') || 'none'}${
      plan.remove.length ? ` (deleted ${plan.remove.join(', ')})` : ''
    }`,
  );
  logger.info('scaling held for the deployment', { changes });
}

/**
 * Complete, before the old colour is scaled to 0: the new colour gets the
 * old one's minimum and scales in again as the old one did; the old one's
 * min and max go to 0 and all its scaling is suspended (dynamic and
 * scheduled), so nothing can revive it. Each change is appended to `changes` as it is made.
 */
export async function retireScaling(colours: Colours, changes: string[]): Promise<void> {
  const { cluster, live, idle } = colours;
  const old = liveScaling(colours);
  await register(cluster, idle, { min: old.min, max: old.max, suspended: old.suspended });
  changes.push(`${idle.serviceName}: min ${old.min}, max ${old.max}, scale-in as before`);
  await register(cluster, live, { min: 0, max: 0, suspended: { dynamicScalingIn: true, dynamicScalingOut: true, scheduledScaling: true } });
  changes.push(`${live.serviceName}: min 0, max 0, all scaling suspended`);
}

/**
 * One colour back to `before`: its scalable target (min, max, what was
 * suspended), its target tracking policies (those Deploy added deleted, those
 * it replaced put back). Step and predictive policies Baton never changes.
 * `scaleIn: 'held'` keeps scale-in suspended (the old colour until traffic is back on it).
 */
export async function restoreColour(
  cluster: string,
  colour: ColourState,
  before: ColourScaling,
  options: { scaleIn: 'as-before' | 'held' } = { scaleIn: 'as-before' },
): Promise<string> {
  if (!before.registered) {
    try {
      await scaling().send(new DeregisterScalableTargetCommand(target(cluster, colour)));
      return `${colour.serviceName}: scalable target deregistered, as before`;
    } catch (error) {
      if (error instanceof ObjectNotFoundException) return `${colour.serviceName}: no scalable target, as before`;
      throw error;
    }
  }
  const suspended = options.scaleIn === 'held' ? { ...before.suspended, dynamicScalingIn: true } : before.suspended;
  await register(cluster, colour, { min: before.min, max: before.max, suspended });
  // Registered now: its policies are all there is to compare.
  const current = (await readPolicies(cluster, colour.serviceName)).filter(isTargetTracking);
  const wanted = before.policies.filter(isTargetTracking);
  for (const policy of current) if (!wanted.some((w) => w.name === policy.name)) await deletePolicy(cluster, colour, policy.name);
  for (const policy of wanted) {
    const same = current.find((c) => c.name === policy.name);
    if (!same || JSON.stringify(same.targetTracking) !== JSON.stringify(policy.targetTracking)) await putPolicy(cluster, colour, policy);
  }
  return `${colour.serviceName}: min ${before.min}, max ${before.max}, policies ${wanted.map((p) => p.name).join(', ') || 'none'}${
    options.scaleIn === 'held' ? ', scale-in held until traffic is back' : ', as before'
  }`;
}

interface ServiceColours {
  readonly cluster: string;
  readonly blue: { readonly serviceName: string };
  readonly green: { readonly serviceName: string };
}

/** Both colours as they are now (the record's `after`); undefined, with a warning in the log, if they cannot be read. */
export async function readColours({ cluster, blue, green }: ServiceColours): Promise<ScalingSnapshot | undefined> {
  try {
    const [b, g] = await Promise.all([readColourScaling(cluster, blue.serviceName), readColourScaling(cluster, green.serviceName)]);
    return { blue: b, green: g };
  } catch (error) {
    logger.warn('the colours scaling could not be read back for the record', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return undefined;
  }
}
