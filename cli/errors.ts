/** The CLI's named errors, each with the exit code it ends the process with. */

export abstract class CliError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad arguments or options: exit 2. */
export class UsageError extends CliError {
  readonly exitCode = 2;
}

/** The config, the service or an execution cannot be found: exit 3. */
export class NotFoundError extends CliError {
  readonly exitCode = 3;
}

/** The request conflicts with what is running (locked, nothing awaiting approval, already started): exit 4. */
export class ConflictError extends CliError {
  readonly exitCode = 4;
}

/** The exit code of a watched deployment that did not succeed. */
export const EXIT_DEPLOYMENT_FAILED = 1;
