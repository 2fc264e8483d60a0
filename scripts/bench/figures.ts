/**
 * Baton's simulated figures, measured by running the real state machine in
 * the simulation (sim/harness.ts): the history events Step Functions would
 * write (counted as it counts them, sim/stepfunctions/history.ts), the state
 * transitions, and the seconds from an alarm entering ALARM to the listener
 * write that put production back on the old colour (the account's call log).
 * Nothing here knows what the figure should be: a config synth refuses is
 * reported as refused, an execution that fails as failed.
 */
import { HISTORY_EVENT_LIMIT } from '../../lambdas/shared/history-budget.ts';
import type { SimulationContext } from '../../sim/context.ts';
import { idleColour, isListenerUpdate, loadBalancerOf } from '../../sim/faults/fault.ts';
import { type SimulationResult, simulate } from '../../sim/harness.ts';
import { HISTORY_LIMIT_ERROR } from '../../sim/stepfunctions/history.ts';
import { copiesOfExample, parseAccount, parseConfig, type Subject, withBake } from './subjects.ts';

/** What a cell of the table shows for a measured figure; `value` is held against the target, when there is one. */
export interface Measurement {
  readonly text: string;
  readonly value?: number;
  readonly note?: string;
}

export const SIMULATED_FIGURES = ['longBake', 'release20', 'alarmToRestore', 'transitions'] as const;
export type SimulatedFigure = (typeof SIMULATED_FIGURES)[number];

/** The long bake: 24 h at a 5 s gate interval. */
export const LONG_BAKE = { bakeSeconds: 86_400, gateIntervalSeconds: 5 } as const;
/** The wide release: 20 copies of the example service, baked 2 h. */
export const WIDE_RELEASE = { services: 20, bakeSeconds: 7_200 } as const;
/** Seconds into the bake (after the shift to 100 %) at which the alarm fires. */
export const ALARM_AFTER_SHIFT_SECONDS = 10;

const count = (value: number) => value.toLocaleString('en-US');

/** Synth's refusal, with the history events it counted when its words give them. */
export function refusal(lines: readonly string[]): Measurement {
  const figure = lines.map((line) => /([\d,]+)(?: history events)?, over Step Functions'/.exec(line)?.[1]).find(Boolean);
  return {
    text: figure ? `refused at synth (${figure} > ${count(HISTORY_EVENT_LIMIT)})` : 'refused at synth',
    note: `synth refuses the config: ${lines.join('; ')}`,
  };
}

type Run = { refused: Measurement } | { result: SimulationResult };

async function run(subject: Subject, setup?: (ctx: SimulationContext) => void): Promise<Run> {
  const parsed = parseConfig(subject.config);
  if ('refused' in parsed) return { refused: refusal(parsed.refused) };
  const result = await simulate({
    config: parsed.config,
    account: parseAccount(subject.account),
    input: subject.input,
    ...(setup ? { setup } : {}),
  });
  return { result };
}

/** How an execution that did not succeed ended, for a cell and its footnote. */
function failure(result: SimulationResult): Measurement {
  const { main } = result;
  const events = main.historyEvents ?? 0;
  const at = `after ${count(Math.round(result.simulatedSeconds))} simulated s`;
  if (main.error === HISTORY_LIMIT_ERROR && events >= HISTORY_EVENT_LIMIT - 1) {
    return { text: `fails at ${count(HISTORY_EVENT_LIMIT)}`, note: `the execution failed ${at}: ${main.error}: ${main.cause ?? ''}` };
  }
  return {
    text: `${main.status} at ${count(events)}`,
    note: `the execution ended ${main.status} ${at}: ${main.error ?? ''} ${main.cause ?? ''}`,
  };
}

async function historyEvents(subject: Subject): Promise<Measurement> {
  const outcome = await run(subject);
  if ('refused' in outcome) return outcome.refused;
  const { main } = outcome.result;
  if (main.status !== 'SUCCEEDED') return failure(outcome.result);
  const events = main.historyEvents ?? 0;
  return { text: count(events), value: events };
}

export function longBake(subject: Subject): Promise<Measurement> {
  return historyEvents({ ...subject, config: withBake(subject.config, LONG_BAKE.bakeSeconds, LONG_BAKE.gateIntervalSeconds) });
}

export function wideRelease(): Promise<Measurement> {
  const wide = copiesOfExample(WIDE_RELEASE.services);
  return historyEvents({ ...wide, config: withBake(wide.config, WIDE_RELEASE.bakeSeconds) });
}

export async function transitions(subject: Subject): Promise<Measurement> {
  const outcome = await run(subject);
  if ('refused' in outcome) return outcome.refused;
  const { main } = outcome.result;
  if (main.status !== 'SUCCEEDED') return failure(outcome.result);
  return { text: count(main.transitions), value: main.transitions };
}

/** The weight a listener write gives `targetGroupArn` (ModifyListener and ModifyRule both carry TargetGroups). */
export function weightIn(input: unknown, targetGroupArn: string): number | undefined {
  if (Array.isArray(input)) {
    for (const item of input) {
      const found = weightIn(item, targetGroupArn);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof input !== 'object' || input === null) return undefined;
  const record = input as Record<string, unknown>;
  if (record.TargetGroupArn === targetGroupArn && typeof record.Weight === 'number') return record.Weight;
  return weightIn(Object.values(record), targetGroupArn);
}

/**
 * The first service's first alarm enters ALARM 10 s after the write that put
 * all of its production traffic on the new colour (the bake has begun, the old
 * colour still runs); the figure is the time to the first production write
 * after it that gives the old colour 100 %.
 */
export async function alarmToRestore(subject: Subject): Promise<Measurement> {
  let alarmAt: number | undefined;
  let watched: { listener: string; oldTargetGroup: string } | undefined;
  const setup = (ctx: SimulationContext) => {
    const web = loadBalancerOf(ctx, 'the alarm-to-restore figure');
    const newColour = idleColour(ctx);
    const oldColour = newColour === 'blue' ? 'green' : 'blue';
    watched = { listener: web.listener, oldTargetGroup: web[oldColour] };
    ctx.interceptors.push((_api, operation, input) => {
      if (alarmAt !== undefined || !isListenerUpdate(operation) || !JSON.stringify(input).includes(web.listener)) return;
      if (weightIn(input, web[newColour]) !== 100) return;
      const at = Date.now() + ALARM_AFTER_SHIFT_SECONDS * 1000;
      alarmAt = at;
      // The metric has breached for the alarm's evaluation periods by then: the alarm enters ALARM at `at`, not 60 s later.
      ctx.model.schedule(at, () => ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: npm run bench', at - ctx.alarmEvaluationMs(0)));
    });
  };
  const outcome = await run(subject, setup);
  if ('refused' in outcome) return outcome.refused;
  const { result } = outcome;
  if (alarmAt === undefined || !watched)
    return { text: 'no shift to 100 %', note: `the execution ended ${result.main.status} before the alarm` };
  const { listener, oldTargetGroup } = watched;
  const firedAt = alarmAt;
  const restored = result.apis.calls.find(
    (call) =>
      call.at >= firedAt &&
      !call.error &&
      isListenerUpdate(call.operation) &&
      JSON.stringify(call.input).includes(listener) &&
      weightIn(call.input, oldTargetGroup) === 100,
  );
  if (!restored)
    return { text: 'not restored', note: `no production write back to the old colour; the execution ended ${result.main.status}` };
  const seconds = (restored.at - firedAt) / 1000;
  return { text: `${seconds} s`, value: seconds };
}
