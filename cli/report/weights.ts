/**
 * The production weights of a deployment over time, and when its rollback
 * put traffic back: from the record's weight changes (written at each
 * listener write), else, for a record older than them, from what the
 * execution's Shift traffic and Roll back states output.
 */
import { z } from 'zod';
import { ColourStateSchema } from '../../lambdas/shared/contract.ts';
import type { WeightChange } from '../../lambdas/shared/records/deployment.ts';
import { STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { parseJson } from '../json.ts';
import { plainName, type Timeline } from './timeline.ts';

export interface WeightPoint extends Omit<WeightChange, 'at'> {
  readonly at: Date;
}

export interface WeightHistory {
  /** In time order, starting with the split production served when the deployment started (when the record names the old colour). */
  readonly points: WeightPoint[];
  /** Where the points come from: the record's weight changes, the execution's state outputs, or nowhere. */
  readonly source: 'record' | 'history' | 'none';
  /** The rollback: the weight change that put traffic back, else (nothing had moved) when Roll back began. */
  readonly rollback?: { readonly at: Date; readonly moved: boolean };
}

/** What the history fallback reads of a state's output. */
const ShiftOutputSchema = z.object({
  live: ColourStateSchema.pick({ colour: true }),
  idle: ColourStateSchema.pick({ colour: true }),
  traffic: z.object({ weight: z.number() }).optional(),
  rollback: z.object({ stage: z.string() }).optional(),
});

/** The split with `weight` percent on `colour` and the rest on the other one. */
function split(colour: string, weight: number): { blue: number; green: number } {
  return colour === 'green' ? { blue: 100 - weight, green: weight } : { blue: weight, green: 100 - weight };
}

const ROLLBACK_PHASE = 'rollback';

/** Weight changes read from the states' outputs: each Shift traffic that moved the split, and the Roll back that restored it. */
function fromHistory(timeline: Timeline): WeightPoint[] {
  const points: WeightPoint[] = [];
  const last = () => points[points.length - 1];
  for (const visit of timeline.visits) {
    const name = plainName(visit.name);
    const output = visit.failure ? undefined : parseJson(visit.output, ShiftOutputSchema);
    if (!output || !visit.exitedAt) continue;
    let next: { blue: number; green: number } | undefined;
    let phase = '';
    if (name === STATE_NAMES.shiftTraffic && output.traffic) {
      next = split(output.idle.colour, output.traffic.weight);
      phase = 'shiftTraffic';
    } else if (name === STATE_NAMES.rollback && output.rollback?.stage === 'done') {
      next = split(output.live.colour, 100);
      phase = ROLLBACK_PHASE;
    }
    const previous = last();
    if (next && (next.blue !== previous?.blue || next.green !== previous?.green)) points.push({ at: visit.exitedAt, ...next, phase });
  }
  return points;
}

/** When Roll back first began; a rollback before any traffic moved has no weight change of its own. */
function rollbackEntered(timeline: Timeline): Date | undefined {
  return timeline.visits.find((visit) => plainName(visit.name) === STATE_NAMES.rollback)?.enteredAt;
}

export function weightHistory(
  record: { readonly startedAt: string; readonly liveColour?: string; readonly weightChanges?: WeightChange[] },
  timeline: Timeline,
): WeightHistory {
  const recorded = (record.weightChanges ?? []).map((change) => ({ ...change, at: new Date(change.at) }));
  const source = recorded.length > 0 ? 'record' : 'history';
  const changes = source === 'record' ? recorded : fromHistory(timeline);
  const start = new Date(record.startedAt);
  // Initialize refuses a split listener: when the deployment started, the old colour served everything.
  const first = changes[0];
  const before =
    record.liveColour && (!first || first.at.getTime() > start.getTime())
      ? [{ at: start, ...split(record.liveColour, 100), phase: 'before' }]
      : [];
  const points = [...before, ...changes];
  const restored = changes.find((change) => change.phase === ROLLBACK_PHASE);
  const entered = rollbackEntered(timeline);
  const rollback = restored ? { at: restored.at, moved: true } : entered ? { at: entered, moved: false } : undefined;
  return {
    points,
    source: changes.length > 0 ? source : 'none',
    ...(rollback ? { rollback } : {}),
  };
}
