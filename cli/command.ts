/**
 * What a baton command is: its entry in the one table main.ts parses argv
 * against, prints help from and runs. Every option any command takes is
 * declared once here, so that parsing knows them all: an option a command
 * does not take is then refused by name ("history does not take --tag")
 * rather than as unknown.
 */
import type { parseArgs } from 'node:util';
import type { CliContext } from './context.ts';
import { UsageError } from './errors.ts';

export const OPTIONS = {
  config: { type: 'string', default: 'baton.config.json' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'v', default: false },
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
} as const;

/** The options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['config', 'region', 'profile', 'json', 'help', 'version'];

export type OptionName = keyof typeof OPTIONS;
export type OptionValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>['values'];

export interface Command {
  readonly name: string;
  readonly usage: string;
  /** One line for the list of commands; capitalised, it opens the command's help. */
  readonly summary: string;
  /** The rest of the command's help: its options and examples. */
  readonly details: string;
  /** The options it takes besides the global ones. */
  readonly options: readonly OptionName[];
  /** Runs the command on its one positional argument (a service, an ARN, or none); resolves to the exit code. */
  readonly run: (ctx: CliContext, target: string | undefined, values: OptionValues) => Promise<number>;
}

export function positiveNumber(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`--${option}: expected a number of seconds or items, got "${value}"`);
  return number;
}

/** --interval, in seconds. */
export function intervalOf(values: OptionValues): number {
  return positiveNumber('interval', values.interval);
}
