/**
 * What a baton command is: its entry in the one table main.ts parses argv
 * against, prints help from and runs. Every option any command takes is
 * declared once here, so that parsing knows them all: an option a command
 * does not take is then refused by name ("history does not take --tag")
 * rather than as unknown.
 */
import type { parseArgs } from 'node:util';
import type { CliContext, SetupContext } from './context.ts';
import { UsageError } from './errors.ts';

export const OPTIONS = {
  config: { type: 'string', default: 'baton.config.json' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
  'no-color': { type: 'boolean', default: false },
  tag: { type: 'string' },
  digest: { type: 'string' },
  strategy: { type: 'string' },
  approval: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  hotfix: { type: 'boolean', default: false },
  reason: { type: 'string' },
  name: { type: 'string' },
  watch: { type: 'boolean', default: false },
  interval: { type: 'string', default: '2' },
  to: { type: 'string' },
  limit: { type: 'string', default: '20' },
  file: { type: 'string' },
  out: { type: 'string' },
  cluster: { type: 'string' },
  environment: { type: 'string' },
  force: { type: 'boolean', default: false },
  full: { type: 'boolean', default: false },
} as const;

/** The options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['config', 'region', 'profile', 'json', 'help', 'version', 'no-color'];

export type OptionName = keyof typeof OPTIONS;
export type OptionValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>['values'];

interface CommandText {
  readonly name: string;
  readonly usage: string;
  /** One line for the list of commands; capitalised, it opens the command's help. */
  readonly summary: string;
  /** The rest of the command's help: its options and examples. */
  readonly details: string;
  /** The options it takes besides the global ones. */
  readonly options: readonly OptionName[];
  /** Commands under this one (`baton release history`): each named in full ("release history"), run on the argument after it. */
  readonly subcommands?: readonly Command[];
}

/** A command on a deployed pipeline: it reads the pipeline's config (--config). */
export interface PipelineCommand extends CommandText {
  /** Runs the command on its one positional argument (a service, an ARN, or none); resolves to the exit code. */
  readonly run: (ctx: CliContext, target: string | undefined, values: OptionValues) => Promise<number>;
}

/** A command that sets a pipeline up (`baton init`): there is no config yet, only AWS to read. */
export interface SetupCommand extends CommandText {
  readonly setup: (ctx: SetupContext, target: string | undefined, values: OptionValues) => Promise<number>;
}

export type Command = PipelineCommand | SetupCommand;

/** A number option's value, refused (naming the option and the range) below `min` or when not a number. */
function atLeast(option: OptionName, value: string, min: number, what: string, whole = false): number {
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number) || number < min || (whole && !Number.isInteger(number)))
    throw new UsageError(`--${option}: expected ${what}, at least ${min}; got "${value}"`);
  return number;
}

/** --interval, in seconds: at least 1, so that following a deployment never polls in a loop. */
export function intervalOf(values: OptionValues): number {
  return atLeast('interval', values.interval, 1, 'a number of seconds');
}

/** --limit: how many records. */
export function limitOf(values: OptionValues): number {
  return atLeast('limit', values.limit, 1, 'a whole number of deployments', true);
}
