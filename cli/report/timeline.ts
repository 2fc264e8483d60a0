/**
 * What the report reads of an execution's history (GetExecutionHistory, or
 * the simulation's copy of it): each visit of a state with its times and, if
 * it failed, the error; and the gate checks among them. Pure, so tests feed it events.
 */
import { z } from 'zod';
import { RELEASE_SUFFIX, STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { parseJson } from '../json.ts';

const FailureDetailsSchema = z.object({ error: z.string().optional(), cause: z.string().optional() }).optional();

/**
 * The fields of a history event the report reads. The SDK's HistoryEvent has
 * them (and more); the simulation's events are parsed into them.
 */
export const ReportEventSchema = z.object({
  timestamp: z.date().optional(),
  type: z.string().optional(),
  stateEnteredEventDetails: z.object({ name: z.string().optional() }).optional(),
  stateExitedEventDetails: z.object({ name: z.string().optional(), output: z.string().optional() }).optional(),
  lambdaFunctionFailedEventDetails: FailureDetailsSchema,
  lambdaFunctionTimedOutEventDetails: FailureDetailsSchema,
  taskFailedEventDetails: FailureDetailsSchema,
  taskTimedOutEventDetails: FailureDetailsSchema,
});
export type ReportEvent = z.infer<typeof ReportEventSchema>;

/** One stay in a state: from its Entered event to its Exited one (none while it runs, or when the execution ended in it). */
export interface StateVisit {
  readonly name: string;
  /** The state's type as the event names it: Task, Wait, Choice, Pass, Map, Parallel, Succeed, Fail. */
  readonly kind: string;
  readonly enteredAt: Date;
  readonly exitedAt?: Date;
  /** The state's output as it exited (JSON text). */
  readonly output?: string;
  /** The failure that ended the visit (caught, or the execution's end), with when the failure event came. */
  readonly failure?: { readonly error: string; readonly at: Date };
}

export interface Timeline {
  readonly visits: StateVisit[];
  readonly start?: Date;
  readonly end?: Date;
}

/** The events that end a Task's attempt in failure, and where each keeps its error. */
const FAILURES: Record<string, (event: ReportEvent) => z.infer<typeof FailureDetailsSchema>> = {
  LambdaFunctionFailed: (event) => event.lambdaFunctionFailedEventDetails,
  LambdaFunctionTimedOut: (event) => event.lambdaFunctionTimedOutEventDetails,
  TaskFailed: (event) => event.taskFailedEventDetails,
  TaskTimedOut: (event) => event.taskTimedOutEventDetails,
};
/** A new attempt: the failure before it was retried, not the state's end (the simulation writes TaskRetried). */
const ATTEMPTS = new Set(['LambdaFunctionScheduled', 'TaskScheduled', 'TaskRetried']);

const CaughtSchema = z.object({ error: z.object({ Error: z.string() }) });

/** The error a Catch put at $.error of the output, when the failure event does not name one (the simulation's do not). */
function caughtError(output: string | undefined): string | undefined {
  return parseJson(output, CaughtSchema)?.error.Error;
}

interface OpenVisit {
  name: string;
  kind: string;
  enteredAt: Date;
  failure?: { error: string; at: Date };
}

function close(open: OpenVisit, exitedAt?: Date, output?: string): StateVisit {
  const failure = open.failure ? { error: open.failure.error || caughtError(output) || 'failed', at: open.failure.at } : undefined;
  return {
    name: open.name,
    kind: open.kind,
    enteredAt: open.enteredAt,
    ...(exitedAt ? { exitedAt } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(failure ? { failure } : {}),
  };
}

/**
 * The visits, in the order they began. A Map or Parallel state's visit
 * encloses the visits of the states inside it; a failure belongs to the
 * innermost state open when it came.
 */
export function readTimeline(events: readonly ReportEvent[]): Timeline {
  const visits: Array<{ order: number; visit: StateVisit }> = [];
  const open: Array<OpenVisit & { order: number }> = [];
  let order = 0;
  const times = events.flatMap((event) => (event.timestamp ? [event.timestamp] : []));
  for (const event of events) {
    const at = event.timestamp ?? times[times.length - 1] ?? new Date(0);
    const type = event.type ?? '';
    const entered = event.stateEnteredEventDetails?.name;
    if (entered && type.endsWith('StateEntered')) {
      open.push({ name: entered, kind: type.slice(0, -'StateEntered'.length), enteredAt: at, order: order++ });
      continue;
    }
    const innermost = open[open.length - 1];
    const details = FAILURES[type];
    if (details && innermost) innermost.failure = { error: details(event)?.error ?? '', at };
    if (ATTEMPTS.has(type) && innermost) innermost.failure = undefined;
    const exited = event.stateExitedEventDetails;
    if (!exited?.name || !type.endsWith('StateExited')) continue;
    const index = open.map((visit) => visit.name).lastIndexOf(exited.name);
    const visit = open[index];
    if (!visit) continue;
    // States inside a Map or Parallel that never exited (an iteration failed uncaught) end with it.
    for (const inner of open.splice(index).slice(1)) visits.push({ order: inner.order, visit: close(inner, at) });
    visits.push({ order: visit.order, visit: close(visit, at, exited.output) });
  }
  // What never exited: the state the execution is in, or ended in (failing there when a failure came last).
  for (const visit of open) visits.push({ order: visit.order, visit: close(visit) });
  visits.sort((a, b) => a.order - b.order);
  const start = times[0];
  const end = times[times.length - 1];
  return { visits: visits.map((entry) => entry.visit), ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

/** The state's name without the suffix the release's per-service copies carry. */
export function plainName(name: string): string {
  return name.endsWith(RELEASE_SUFFIX) ? name.slice(0, -RELEASE_SUFFIX.length) : name;
}

/** The Task states that check the gates (alarms, target health) each time they run. */
const GATES = new Set<string>([STATE_NAMES.verify, STATE_NAMES.shiftTraffic, STATE_NAMES.checkBake, STATE_NAMES.checkScaleDown]);

export interface GateCheck {
  readonly state: string;
  readonly at: Date;
  /** The error, when the check failed. */
  readonly error?: string;
}

/** Every run of a gate-checking state, at the time it ended. */
export function gateChecks(timeline: Timeline): GateCheck[] {
  return timeline.visits
    .filter((visit) => visit.kind === 'Task' && GATES.has(plainName(visit.name)))
    .map((visit) => ({
      state: visit.name,
      at: visit.failure?.at ?? visit.exitedAt ?? visit.enteredAt,
      ...(visit.failure ? { error: visit.failure.error } : {}),
    }));
}

/** The first failed visit: of the state the record names as failed if it has one, else of any state. */
export function firstFailure(timeline: Timeline, failedPhase: string | undefined): StateVisit | undefined {
  const failed = timeline.visits.filter((visit) => visit.failure);
  return failed.find((visit) => failedPhase !== undefined && plainName(visit.name) === failedPhase) ?? failed[0];
}
