/** The CLI's exit codes, and its named errors, each with the exit code it ends the process with. */
import type { z } from 'zod';

/** Every exit code baton ends with; `baton --help` and docs/cli.md list them. */
export const EXIT = {
  ok: { code: 0, meaning: 'done' },
  deploymentFailed: { code: 1, meaning: 'the followed deployment or release did not succeed' },
  usage: { code: 2, meaning: 'bad usage: a missing argument, an unknown option, a bad value' },
  notFound: { code: 3, meaning: 'not found: the config, a service, a deployment or an execution' },
  conflict: { code: 4, meaning: 'conflict with what is running: locked, nothing awaiting approval, already started' },
  aws: { code: 5, meaning: 'AWS or network error: credentials, access denied, throttling, endpoint unreachable' },
  bug: { code: 70, meaning: 'a bug in baton: the stack trace says where' },
} as const;

/** The exit code of a followed deployment (or release) that did not succeed. */
export const EXIT_DEPLOYMENT_FAILED = EXIT.deploymentFailed.code;

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad arguments or options. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.usage.code;
}

/** The config, the service or an execution cannot be found. */
export class NotFoundError extends CliError {
  readonly exitCode = EXIT.notFound.code;
}

/** The request conflicts with what is running (locked, nothing awaiting approval, already started). */
export class ConflictError extends CliError {
  readonly exitCode = EXIT.conflict.code;
}

/** AWS refused or could not be reached; the message names the AWS error code, which is what to search for. */
export class AwsError extends CliError {
  readonly exitCode = EXIT.aws.code;
}

/**
 * An option's value as the state machine will check it (`schema`, the one it
 * parses with): a value it would refuse is a usage error here, naming the option.
 */
export function checkedOption<T>(option: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${option}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return parsed.data;
}
