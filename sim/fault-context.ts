/**
 * The contexts faults act through (SimulationContext): the run's, whose
 * service is the one the input deploys, and one per service a fault is aimed
 * at (`--fault name@service`).
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { BatonConfig, ServiceConfig } from '../lambdas/shared/config-schema.ts';
import { classifyInput, type ImageAsked } from '../lambdas/shared/execution-input.ts';
import { evaluationDelayMs } from './account/alarm-evaluation.ts';
import type { AccountModel } from './account/model.ts';
import type { SimulationContext } from './context.ts';
import { plainStateName } from './definition.ts';
import type { RunningState } from './stepfunctions/execution.ts';

/** What the simulation lets a fault do, beyond bending the account. */
export type SimulationControls = Pick<
  SimulationContext,
  'denyAction' | 'hangInvocation' | 'stopAt' | 'loseMainStatusEvent' | 'interceptors'
>;

/**
 * What a fault's context knows of its service: which image is the one being
 * deployed (by tag or digest), and how to make the service's n-th alarm's
 * metric breach (the moment the alarm first enters ALARM marks the bad signal
 * for the signal-to-restore report).
 */
function serviceFaultParts(
  model: AccountModel,
  service: ServiceConfig,
  wanted: { imageTag?: string; imageDigest?: string },
  onSignal: (at: number) => void,
): Pick<SimulationContext, 'isRequestedImage' | 'isNewImage' | 'setAlarm' | 'alarmEvaluationMs'> {
  const isRequestedImage = (image: { digest: string; tags: string[] }) =>
    (wanted.imageDigest !== undefined && image.digest === wanted.imageDigest) ||
    (wanted.imageTag !== undefined && image.tags.includes(wanted.imageTag));
  return {
    isRequestedImage,
    isNewImage: (uri) =>
      (model.repositories[service.ecr.repositoryName]?.images ?? []).some(
        (image) => isRequestedImage(image) && uri.endsWith(`@${image.digest}`),
      ),
    setAlarm: (index, state, reason, since) => {
      const name = service.alarms[index];
      if (name === undefined || !model.alarms[name]) return;
      const entered = model.metricSays(name, state, reason, since ?? Date.now());
      if (state === 'ALARM') onSignal(entered);
    },
    alarmEvaluationMs: (index) => {
      const alarm = model.alarms[service.alarms[index] ?? ''];
      return alarm ? evaluationDelayMs(alarm) : 0;
    },
  };
}

/** The image an input asks for one service: a release's entry for it, or a single deployment's of that service. */
function requestedImageOf(input: unknown, service: string): ImageAsked {
  return classifyInput(input).images.get(service) ?? {};
}

/** The run's context: the service the input names (the config's first when it names none). */
export function runContext(model: AccountModel, config: BatonConfig, input: unknown, controls: SimulationControls): SimulationContext {
  const asked = classifyInput(input);
  const serviceName = asked.service ?? config.services[0]?.name;
  const service = config.services.find((s) => s.name === serviceName) ?? config.services[0];
  if (!service) throw new Error('the config has no service');
  const ctx: SimulationContext = {
    model,
    service,
    ...controls,
    onStateEntered: [],
    currentState: undefined,
    triggers: [],
    fixed: false,
    signalAt: undefined,
    smoke: { fails: false, delayMs: 0 },
    beforeInvoke: [],
    ...serviceFaultParts(
      model,
      service,
      // A release's services each get theirs in serviceContext.
      asked.kind === 'deployment' && asked.service ? (asked.images.get(asked.service) ?? {}) : {},
      (at) => {
        ctx.signalAt ??= at;
      },
    ),
  };
  return ctx;
}

/**
 * The context of a fault aimed at one service (`--fault name@service`): the
 * fault bends that service's resources, sees the state that service is in
 * (its handlers' calls carry it), and its image is the one the input asks
 * for that service. The rest (model, clock, fixed, signal) is the run's.
 * `hooks` are its onStateEntered, which the backend calls with the plain state name.
 */
export function serviceContext(
  base: SimulationContext,
  service: ServiceConfig,
  input: unknown,
  running: AsyncLocalStorage<RunningState>,
  hooks: Array<(state: string) => void>,
): SimulationContext {
  const name = service.name;
  const model = base.model;
  return {
    model,
    service,
    interceptors: base.interceptors,
    onStateEntered: hooks,
    triggers: base.triggers,
    smoke: base.smoke,
    denyAction: base.denyAction,
    beforeInvoke: base.beforeInvoke,
    hangInvocation: base.hangInvocation,
    stopAt: base.stopAt,
    loseMainStatusEvent: base.loseMainStatusEvent,
    get fixed() {
      return base.fixed;
    },
    set fixed(value) {
      base.fixed = value;
    },
    get signalAt() {
      return base.signalAt;
    },
    set signalAt(value) {
      base.signalAt = value;
    },
    get currentState() {
      const store = running.getStore();
      return store?.service === name ? plainStateName(store.state) : undefined;
    },
    set currentState(_value) {
      // Read from the running handler; nothing to set.
    },
    ...serviceFaultParts(model, service, requestedImageOf(input, name), (at) => {
      base.signalAt ??= at;
    }),
  };
}
