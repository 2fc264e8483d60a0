/**
 * What Step Functions and Lambda themselves take, on the virtual clock: small
 * fixed delays, so a run stays deterministic. AWS documents neither figure
 * (the Step Functions and Lambda quotas pages give rates and sizes, not
 * latencies), so these are round numbers of the order measured for a warm
 * Standard workflow: a state transition in a few milliseconds, a synchronous
 * Lambda invoke of a warm function in tens of milliseconds on top of what the
 * function does. They make a deployment's simulated duration grow with the
 * states it passes and the functions it invokes, as it does in AWS.
 */

/**
 * Each Task or Wait state entered (a transition). Choice, Pass, Map, Parallel, Succeed and Fail states run
 * inside the interpreter, which the simulation cannot pause: they take no simulated time.
 */
export const STATE_TRANSITION_MS = 5;

/** Each Lambda invoke of a Task (the request to a warm function and its answer), before the function runs. */
export const LAMBDA_INVOKE_MS = 20;
