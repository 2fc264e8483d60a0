/** An execution as the simulated Step Functions service keeps it, and the events it reports as it runs. */

/** The fields of aws-local-stepfunctions' event log entries the simulation reads. */
export interface EventLog {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: { readonly name: string; readonly type: string; readonly input?: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: string;
}

export interface ProgressEvent {
  readonly execution: string;
  readonly state: string;
  readonly type: string;
  readonly kind: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
  readonly simulatedSeconds: number;
  readonly error?: string;
  /** The service a release's per-service state works on. */
  readonly service?: string;
}

import type { BoundDefinition } from '../definition.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface ExecutionResult {
  readonly name: string;
  readonly arn: string;
  status: ExecutionStatus;
  readonly input: unknown;
  readonly startDate: number;
  stopDate?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  readonly executionPath: string[];
  transitions: number;
  readonly events: EventLog[];
  readonly history?: () => Array<Record<string, unknown>>;
  /** The last Task or Wait state entered and its input: where a redrive resumes. */
  lastState?: { readonly name: string; readonly input: unknown };
  /** When the current attempt started (a redrive resets the execution timeout). */
  attemptStart?: number;
  /** History events Step Functions has written for it (counted as the run goes, history.ts). */
  historyEvents?: number;
  /** How often the execution was redriven, and the state the last redrive resumed at. */
  redriveCount?: number;
  redriveFrom?: string;
  /** The state machine version it runs: the one published when it started, whatever a later deploy published (sim/upgrade.ts). */
  readonly version?: BoundDefinition;
}

/** An error with the name Step Functions matches Retry and Catch on. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** What the running handler works on, kept per asynchronous flow (release iterations run several at once). */
export interface RunningState {
  /** The execution whose Task runs the function (a function sleeps on its behalf). */
  readonly execution: string;
  readonly service: string | undefined;
  readonly state: string;
  /** Set by a fault: the invocation no longer responds (see SimulationContext.hangInvocation). */
  readonly invocation?: { hung: boolean };
}

/** An input the simulation cannot run at all (not one the pipeline refuses: that ends REJECTED). */
export class SimulationInputError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SimulationInputError';
  }
}
