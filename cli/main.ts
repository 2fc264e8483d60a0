/**
 * `baton`: start and steer deployments from a terminal. Follows the AWS CLI's
 * conventions (--region, --profile, --json) and kubectl plugins' (a verb, a
 * resource, --watch). Exit codes: 0 ok, 1 the watched deployment (or release)
 * did not succeed, 2 bad usage, 3 not found, 4 conflict with what is running.
 */
import { parseArgs } from 'node:util';
import { abort, approve, deploy, reject, rollback, showHistory, status, watch } from './commands.ts';
import { createContext, type Io } from './context.ts';
import { CliError, UsageError } from './errors.ts';
import { release } from './release.ts';
import { unlock } from './unlock.ts';

const GLOBAL_HELP = `Global options:
  --config <file>    pipeline config naming the state machine and table (default: baton.config.json)
  --region <region>  AWS region (default: the config's pipeline.region)
  --profile <name>   AWS profile from your shared config/credentials files
  --json             machine-readable output (one JSON document)
  -h, --help         help for the command`;

const COMMANDS: Record<string, { usage: string; summary: string; details: string }> = {
  deploy: {
    usage: 'baton deploy <service> (--tag <tag> | --digest <sha256:...>) [options]',
    summary: 'start a blue/green deployment of an image',
    details: `Options:
  --tag <tag>            image tag in the service's ECR repository
  --digest <digest>      image digest (sha256: + 64 hex); the execution name is derived from it and
                         the UTC date, so starting the same image twice a day is refused (exit 4)
  --strategy <s>         all-at-once | canary:<percent>:<bakeSeconds> | linear:<step>:<intervalSeconds> | JSON
  --approval             wait for "baton approve" after verify
  --dry-run              validate and print the plan; change nothing
  --hotfix               all at once with a short bake (validate and verify still run)
  --reason <text>        recorded with the deployment
  --name <name>          execution name (default: derived from the image)
  --watch                follow the deployment until it ends; exit 1 unless it succeeded

Examples:
  baton deploy web --tag v1.4.2 --watch
  baton deploy web --digest sha256:2b41...73f --strategy canary:10:300 --approval
  baton deploy web --tag v1.4.3 --dry-run --json`,
  },
  release: {
    usage: 'baton release --file <release.json> [--watch | --dry-run] [--name <execution-name>] [--interval <seconds>]',
    summary: 'start a multi-service release: services deploy in dependency order and roll back together',
    details: `The file names the release and the image of each service:
  {"release": "2026-11-22.1", "services": {"api": {"imageTag": "v1.1.0"}, "web": {"imageDigest": "sha256:..."}}}
Optional fields: "shift" ("each": every service by its own strategy, the default; "together": all at the
same steps), "strategy", "reason", "trigger" and "requestedBy" (default: "cli" and your user name).
The file is checked against the config before anything starts: a bad field, an unknown service or a
dependency cycle exits 2 naming it. Services deploy in waves (dependencies first); traffic moves once
every service is verified; if one fails, every service that changed is rolled back, last wave first.

Options:
  --file <file>          the release, as JSON
  --name <name>          execution name, which is the release id (default: release-<release>-<UTC time>)
  --watch                follow the release until it ends: each service's status changes, then the verdict
                         (cause, services rolled back, services untouched); exit 1 unless it succeeded
  --dry-run              plan and validate every service, take no lock, change and record nothing;
                         waits for the result and prints the order and each service's plan
  --interval <seconds>   refresh period with --watch or --dry-run (default 2)

Examples:
  baton release --file release.json --dry-run
  baton release --file release.json --watch
  baton release --file release.json --name release-2026-11-22_1-retry --json`,
  },
  status: {
    usage: 'baton status [<service> | <execution-arn>]',
    summary: 'what is running and how the last deployment ended',
    details: `Examples:
  baton status
  baton status web --json
  baton status arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z`,
  },
  watch: {
    usage: 'baton watch <service> [--interval <seconds>]',
    summary: 'live view of the running deployment: phases, traffic split, elapsed time',
    details: `Options:
  --interval <seconds>   refresh period (default 2)

Example:
  baton watch web`,
  },
  approve: {
    usage: 'baton approve <service> [--reason <text>]',
    summary: 'let a deployment waiting for approval shift traffic',
    details: 'Example:\n  baton approve web --reason "smoke tests green"',
  },
  reject: {
    usage: 'baton reject <service> [--reason <text>]',
    summary: 'reject a deployment waiting for approval; it rolls back',
    details: 'Example:\n  baton reject web --reason "p99 too high on green"',
  },
  abort: {
    usage: 'baton abort <service> [--reason <text>]',
    summary: 'stop the running deployment; the backstop rolls it back',
    details: 'Example:\n  baton abort web --reason "wrong image"',
  },
  rollback: {
    usage: 'baton rollback <service> [--to <deployment-id>] [--watch]',
    summary: 'redeploy an earlier successful release exactly: same task definition, image and secret versions',
    details: `Without --to, the release that was live before the current one (rollbacks are
skipped). Stops before any change if a secret version the release pinned no longer exists.

Options:
  --to <deployment-id>   a specific earlier release (see baton history)
  --watch                follow it until it ends

Examples:
  baton rollback web --watch
  baton rollback web --to web-v1_4_1-20261120T101500Z`,
  },
  unlock: {
    usage: 'baton unlock <service> --reason <text>',
    summary: 'release the lock a failed rollback (ROLLBACK_FAILED) keeps, once an operator has resolved it',
    details: `A ROLLBACK_FAILED deployment keeps its service locked: nothing deploys over a
production state nobody has checked. Once the listener weights and services are
right again, unlock records who, when and why on the deployment's record and
releases the lock. It also releases the lock of a holder whose execution ended
with its record closed. It refuses while the holder's execution still runs (stop
it with baton abort first).

Options:
  --reason <text>   what was done to resolve it (required)

Example:
  baton unlock web --reason "weights set back to blue 100 % by hand; green scaled to 0"`,
  },
  history: {
    usage: 'baton history <service> [--limit <n>]',
    summary: "a service's deployments, newest first",
    details: 'Options:\n  --limit <n>   how many (default 20)\n\nExample:\n  baton history web --limit 5 --json',
  },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `baton: blue/green deployments of ECS services through the Baton state machine

Usage: baton <command> [arguments] [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

${GLOBAL_HELP}

Run "baton <command> --help" for a command's options and examples.
`;
}

export function commandHelp(command: string): string {
  const entry = COMMANDS[command];
  if (!entry) return mainHelp();
  return `${entry.usage}\n\n${entry.summary[0]?.toUpperCase()}${entry.summary.slice(1)}.\n\n${entry.details}\n\n${GLOBAL_HELP}\n`;
}

const OPTIONS = {
  config: { type: 'string', default: 'baton.config.json' },
  region: { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
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

/** Which options each command accepts besides the global ones. */
const ACCEPTS: Record<string, readonly string[]> = {
  deploy: ['tag', 'digest', 'strategy', 'approval', 'dry-run', 'hotfix', 'reason', 'name', 'watch', 'interval'],
  release: ['file', 'name', 'watch', 'dry-run', 'interval'],
  status: [],
  watch: ['interval'],
  approve: ['reason'],
  reject: ['reason'],
  abort: ['reason'],
  rollback: ['to', 'watch', 'interval'],
  unlock: ['reason'],
  history: ['limit'],
};
const GLOBAL = ['config', 'region', 'profile', 'json', 'help'];

function positiveNumber(option: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new UsageError(`--${option}: expected a number of seconds or items, got "${value}"`);
  return number;
}

export async function runBaton(argv: string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`baton: ${error.message}\n`);
      if (error instanceof UsageError) io.err('Run "baton --help" or "baton <command> --help".\n');
      return error.exitCode;
    }
    if (error instanceof Error) {
      // An AWS error: its name is the AWS error code, which is what to search for.
      io.err(`baton: ${error.name}: ${error.message}\n`);
      if (error.name === 'CredentialsProviderError') io.err('Configure credentials (aws configure, or AWS_PROFILE) or pass --profile.\n');
      return 3;
    }
    throw error;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (!command) {
    io.out(mainHelp());
    return values.help ? 0 : 2;
  }
  const accepted = ACCEPTS[command];
  if (!accepted) throw new UsageError(`unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  if (values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  if (extra.length > 0) throw new UsageError(`${command}: unexpected argument "${extra[0]}"`);
  for (const [option, value] of Object.entries(values)) {
    const spec = OPTIONS[option as keyof typeof OPTIONS];
    const isDefault = 'default' in spec && value === spec.default;
    if (!isDefault && !GLOBAL.includes(option) && !accepted.includes(option)) throw new UsageError(`${command} does not take --${option}`);
  }
  const ctx = createContext(
    {
      config: values.config,
      json: values.json,
      ...(values.region ? { region: values.region } : {}),
      ...(values.profile ? { profile: values.profile } : {}),
    },
    io,
  );
  const interval = positiveNumber('interval', values.interval);
  switch (command) {
    case 'deploy':
      if (!values.tag && !values.digest) throw new UsageError('deploy: give --tag <tag> or --digest <sha256:...>');
      return deploy(ctx, target, {
        ...(values.tag ? { tag: values.tag } : {}),
        ...(values.digest ? { digest: values.digest } : {}),
        ...(values.strategy ? { strategy: values.strategy } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
        ...(values.name ? { name: values.name } : {}),
        approval: values.approval,
        dryRun: values['dry-run'],
        hotfix: values.hotfix,
        watch: values.watch,
        intervalSeconds: interval,
      });
    case 'release':
      if (target !== undefined)
        throw new UsageError(`release: unexpected argument "${target}" (give the release with --file <release.json>)`);
      return release(ctx, {
        ...(values.file ? { file: values.file } : {}),
        ...(values.name ? { name: values.name } : {}),
        watch: values.watch,
        dryRun: values['dry-run'],
        intervalSeconds: interval,
      });
    case 'status':
      return status(ctx, target);
    case 'watch':
      return watch(ctx, target, interval);
    case 'approve':
      return approve(ctx, target, values.reason);
    case 'reject':
      return reject(ctx, target, values.reason);
    case 'abort':
      return abort(ctx, target, values.reason);
    case 'rollback':
      return rollback(ctx, target, { ...(values.to ? { to: values.to } : {}), watch: values.watch, intervalSeconds: interval });
    case 'unlock':
      return unlock(ctx, target, values.reason);
    default:
      return showHistory(ctx, target, positiveNumber('limit', values.limit));
  }
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
