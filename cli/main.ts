/**
 * `baton`: start and steer deployments from a terminal. Follows the AWS CLI's
 * conventions (--region, --profile, --json) and kubectl plugins' (a verb, a
 * resource, --watch). Its exit codes are EXIT in errors.ts.
 */
import { parseArgs } from 'node:util';
import { awsError } from './aws-errors.ts';
import { colourEnabled } from './colour.ts';
import { type Command, GLOBAL_OPTIONS, OPTIONS, type OptionName, type OptionValues } from './command.ts';
import { abort } from './commands/abort.ts';
import { approve } from './commands/approve.ts';
import { deploy } from './commands/deploy.ts';
import { history } from './commands/history.ts';
import { init } from './commands/init.ts';
import { promote } from './commands/promote.ts';
import { reject } from './commands/reject.ts';
import { release } from './commands/release.ts';
import { report } from './commands/report.ts';
import { rollback } from './commands/rollback.ts';
import { status } from './commands/status.ts';
import { unlock } from './commands/unlock.ts';
import { watch } from './commands/watch.ts';
import { createContext, createSetupContext, type Io } from './context.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import { batonVersion } from './version.ts';

/** Every command, in the order `baton --help` lists them. */
const COMMANDS: readonly Command[] = [
  init,
  deploy,
  release,
  status,
  watch,
  approve,
  reject,
  promote,
  abort,
  rollback,
  unlock,
  history,
  report,
];

const GLOBAL_HELP = `Global options:
  --config <file>    pipeline config naming the state machine and table (default: baton.config.json)
  --region <region>  AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the config's pipeline.region)
  --profile <name>   AWS profile from your shared config/credentials files
  --json             machine-readable output (one JSON document)
  -h, --help         help for the command
  --no-color         no colour (also NO_COLOR=1; there is none unless stdout is a terminal)
  -v, --version      the version of baton`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return `baton: blue/green deployments of ECS services through the Baton state machine

Usage: baton <command> [arguments] [options]

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n')}

${GLOBAL_HELP}

Exit codes:
${Object.values(EXIT)
  .map((exit) => `  ${String(exit.code).padEnd(2)}  ${exit.meaning}`)
  .join('\n')}

Run "baton <command> --help" (or "baton help <command>") for a command's options and examples.
`;
}

function commandHelp(command: Command): string {
  return `${command.usage}\n\n${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.\n\n${command.details}\n\n${GLOBAL_HELP}\n`;
}

export async function runBaton(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (thrown) {
    // What the commands did not name is AWS refusing a call or out of reach (exit 5), or else a bug: thrown as it is.
    const error = thrown instanceof CliError ? thrown : awsError(thrown);
    if (!error) throw thrown;
    io.err(`baton: ${error.message}\n`);
    if (error instanceof UsageError) io.err('Run "baton --help" or "baton <command> --help".\n');
    return error.exitCode;
  }
}

function parse(argv: string[]): { values: OptionValues; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Refuses an option the command does not take; an option left at its default was not given. */
function checkOptions(command: Command, values: OptionValues): void {
  for (const [option, value] of Object.entries(values)) {
    const spec = OPTIONS[option as OptionName];
    const isDefault = 'default' in spec && value === spec.default;
    if (!isDefault && !GLOBAL_OPTIONS.includes(option as OptionName) && !command.options.includes(option as OptionName))
      throw new UsageError(`${command.name} does not take --${option}`);
  }
}

function commandNamed(name: string): Command {
  const command = COMMANDS.find((entry) => entry.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((entry) => entry.name).join(', ')})`);
  return command;
}

/**
 * The command the positionals name, and what follows it: a subcommand
 * (`release history`) when the word after the command names one.
 */
function resolve(name: string, rest: readonly string[]): { command: Command; args: string[] } {
  const command = commandNamed(name);
  const [word, ...after] = rest;
  const sub = command.subcommands?.find((entry) => entry.name === `${command.name} ${word}`);
  return sub ? { command: sub, args: after } : { command, args: [...rest] };
}

/** `baton help [<command> [<subcommand>]]`: the same text as `baton [<command>] --help`. */
function help(topic: string | undefined, extra: string[], io: Io): number {
  if (!topic) {
    if (extra.length > 0) throw new UsageError(`help: unexpected argument "${extra[0]}"`);
    io.out(mainHelp());
    return 0;
  }
  const { command, args } = resolve(topic, extra);
  if (args.length > 0) throw new UsageError(`help: unexpected argument "${args[0]}"`);
  io.out(commandHelp(command));
  return 0;
}

/** The argument the usage line puts right after the command's name, unbracketed: "<service>" in "baton history <service> ...". */
function requiredArgument(command: Command): string | undefined {
  const usage = command.usage.startsWith(`baton ${command.name} `) ? command.usage.slice(`baton ${command.name} `.length) : '';
  return /^(<[^>]+>)/.exec(usage)?.[1];
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv);
  const [name, ...rest] = positionals;
  if (values.version) {
    io.out(`${batonVersion()}\n`);
    return 0;
  }
  if (name === 'help') return help(rest[0], rest.slice(1), io);
  if (!name) {
    io.out(mainHelp());
    return values.help ? 0 : 2;
  }
  const { command, args } = resolve(name, rest);
  const [target, ...extra] = args;
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  if (extra.length > 0) throw new UsageError(`${command.name}: unexpected argument "${extra[0]}"`);
  const required = requiredArgument(command);
  if (required && target === undefined) throw new UsageError(`${command.name}: missing argument ${required}\nUsage: ${command.usage}`);
  checkOptions(command, values);
  const options = {
    config: values.config,
    json: values.json,
    colour: colourEnabled(io, values['no-color']),
    ...(values.region ? { region: values.region } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
  };
  if ('setup' in command) return command.setup(createSetupContext(options, io), target, values);
  return command.run(createContext(options, io), target, values);
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
