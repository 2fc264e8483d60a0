/** What a fault can reach during one simulated run. */
import type { ServiceConfig } from '../lambdas/shared/config-schema.ts';
import type { CallInterceptor } from './account/api.ts';
import type { AccountModel } from './account/model.ts';

export interface SimulationContext {
  readonly model: AccountModel;
  readonly service: ServiceConfig;
  readonly interceptors: CallInterceptor[];
  readonly onStateEntered: Array<(state: string) => void>;
  /** Set when the operator removed the cause of the faults (--redrive-after-fix). */
  fixed: boolean;
  /** The state whose handler is running (for faults tied to a phase). */
  currentState: string | undefined;
  /**
   * Further triggers for the same service while the main execution runs: when
   * the main execution's Task `afterState` returns, `<main>-<suffix>` starts
   * (with `input`, or the main input) and runs to its end before the main one
   * goes on.
   */
  readonly triggers: Array<{ afterState: string; suffix: string; input?: unknown }>;
  /** How the local smoke-test server misbehaves (smoke faults). */
  readonly smoke: { fails: boolean; delayMs: number };
  /** IAM drift: denies an action to one function's role (by phase), or to every role of the stack. */
  denyAction(action: string, phase: string | undefined): void;
  /** When the fault's bad signal started (epoch ms), for the signal-to-restore report. */
  signalAt: number | undefined;
  /** True for an ECR image entry the execution input asks for. */
  isRequestedImage(image: { digest: string; tags: string[] }): boolean;
  /** True for a container image URI of the image being deployed. */
  isNewImage(imageUri: string): boolean;
  /**
   * The metric of the service's n-th alarm says `state` from `since` on (default: now); the alarm enters
   * that state when CloudWatch would, after its evaluation periods (sim/account/alarm-evaluation.ts).
   */
  setAlarm(index: number, state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', reason: string, since?: number): void;
  /** How long the service's n-th alarm takes to follow its metric (its evaluation periods), in ms. */
  alarmEvaluationMs(index: number): number;
  /**
   * Called with the state name before Lambda runs a Task's function; a hook that
   * throws is what Lambda answers instead (e.g. Lambda.TooManyRequestsException):
   * the function does not run.
   */
  readonly beforeInvoke: Array<(state: string) => void>;
  /**
   * From an interceptor: the running invocation stops responding after this call
   * (which still takes effect). Its later calls never happen; Lambda ends it at
   * the function's Timeout, and the Task fails then (or with States.Timeout at
   * the Task's TimeoutSeconds, if that comes first).
   */
  hangInvocation(): void;
  /** The operator stops (StopExecution, as `baton abort` does) the first execution that enters `state`. */
  stopAt(state: string): void;
  /**
   * The status-change event of the main execution's end is never delivered:
   * Step Functions sends them best effort. Only the backstop's sweep can then
   * find what that end left open.
   */
  loseMainStatusEvent(): void;
}
