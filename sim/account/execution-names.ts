/**
 * Step Functions execution names: what StartExecution accepts, and how long a
 * name stays taken (the account model keeps the executions started in it).
 * Each refusal is the one Step Functions answers: the same error, the same message.
 */
import { ExecutionAlreadyExists, InvalidName, ValidationException as SfnValidationException } from '@aws-sdk/client-sfn';
import type { AccountModel } from './model.ts';

/** StartExecution `name`: "Length Constraints: Minimum length of 1. Maximum length of 80." (API_StartExecution.html) */
const EXECUTION_NAME_MAX_LENGTH = 80;
/**
 * "This name must be unique for your AWS account, Region, and state machine
 * for 90 days" (API_StartExecution.html); a closed execution's history is kept
 * 90 days after it closes (Step Functions quotas, "Execution history
 * retention"), and its name stays taken while it is.
 */
export const EXECUTION_NAME_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * The characters a name must not contain (API_StartExecution.html, name):
 * white space; brackets < > { } [ ]; wildcard characters ? *; special
 * characters " # % \ ^ | ~ ` $ & , ; : /; control characters (U+0000-001F,
 * U+007F-009F); surrogates (U+D800-DFFF); invalid characters (U+10FFFF).
 */
function forbiddenNameCharacter(name: string): string | undefined {
  for (const character of name) {
    const code = character.codePointAt(0) ?? 0;
    if (
      /\s/u.test(character) ||
      '<>{}[]?*"#%\\^|~`$&,;:/'.includes(character) ||
      code <= 0x1f ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0xd800 && code <= 0xdfff) ||
      code === 0x10ffff
    ) {
      return character;
    }
  }
  return undefined;
}

/** Why `name` cannot name an execution; undefined when it can. Used by the account schema. */
export function executionNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > EXECUTION_NAME_MAX_LENGTH) {
    return `an execution name is 1 to ${EXECUTION_NAME_MAX_LENGTH} characters; '${name}' has ${name.length}`;
  }
  const character = forbiddenNameCharacter(name);
  if (character !== undefined) {
    return `an execution name has no white space, brackets, wildcards, control characters or any of " # % \\ ^ | ~ \` $ & , ; : /; '${name}' has ${JSON.stringify(character)}`;
  }
  return undefined;
}

const sfnErrorMeta = { $metadata: { httpStatusCode: 400, requestId: 'sim' } };

/**
 * What StartExecution does with `name` before it starts anything, as Step
 * Functions does:
 * - a name over 80 characters (or empty) fails the request's input
 *   validation: ValidationException "1 validation error detected: Value '…'
 *   at 'name' failed to satisfy constraint: Member must have length less than
 *   or equal to 80" (as AWS answers, e.g. wolfeidau/buildkite-serverless-agent
 *   issue #37);
 * - a name with a character the API reference forbids: InvalidName
 *   "Invalid Name: '…'";
 * - a name an execution of the same state machine took less than 90 days ago
 *   (counted from when it closed, or from its start while it runs):
 *   ExecutionAlreadyExists "Execution Already Exists: '<execution ARN>'".
 * Throws the SDK's exception classes, so a handler or the CLI sees what the
 * SFN client would throw. `now` is epoch ms.
 *
 * Not modelled: StartExecution of a Standard workflow is idempotent for a
 * RUNNING execution started with the same name and the same input (it
 * answers with that execution); this refuses it like any other reuse.
 */
export function assertExecutionName(model: AccountModel, stateMachineArn: string, name: string, now: number): void {
  if (name.length < 1 || name.length > EXECUTION_NAME_MAX_LENGTH) {
    throw new SfnValidationException({
      message: `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length ${
        name.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${EXECUTION_NAME_MAX_LENGTH}`
      }`,
      ...sfnErrorMeta,
    });
  }
  if (forbiddenNameCharacter(name) !== undefined) {
    throw new InvalidName({ message: `Invalid Name: '${name}'`, ...sfnErrorMeta });
  }
  const taken = model.executions.find(
    (execution) =>
      execution.stateMachineArn === stateMachineArn &&
      execution.name === name &&
      now < Date.parse(execution.stopDate ?? execution.startDate) + EXECUTION_NAME_RETENTION_MS,
  );
  if (taken) {
    throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${executionArnOf(stateMachineArn, name)}'`, ...sfnErrorMeta });
  }
}

/** The execution ARN Step Functions gives an execution of `stateMachineArn` named `name`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * Records a started execution in the account, so its name stays taken (and
 * is saved with the account state, --state-out). Call after
 * assertExecutionName, with the execution's start (epoch ms). A redrive
 * reuses its execution: call recordExecutionStop again when it closes.
 */
export function recordExecutionStart(model: AccountModel, stateMachineArn: string, name: string, startDate: number): void {
  model.executions.push({ stateMachineArn, name, startDate: new Date(startDate).toISOString() });
}

/** Records when an execution closed (SUCCEEDED, FAILED, TIMED_OUT, ABORTED): its name is released 90 days later. */
export function recordExecutionStop(model: AccountModel, stateMachineArn: string, name: string, stopDate: number): void {
  const execution = model.executions.findLast((candidate) => candidate.stateMachineArn === stateMachineArn && candidate.name === name);
  if (execution) execution.stopDate = new Date(stopDate).toISOString();
}
