/** `baton deploy`: start a blue/green deployment of an image, and with --watch follow it. */
import type { DeploymentRequest } from '../../lambdas/shared/contract.ts';
import { executionConsoleUrl } from '../../lambdas/shared/names.ts';
import { type Strategy, StrategySchema } from '../../lambdas/shared/strategy.ts';
import { formatIssues } from '../../lambdas/shared/zod-format.ts';
import { type Command, intervalOf, type OptionValues } from '../command.ts';
import { type CliContext, serviceNamed } from '../context.ts';
import { followDeploymentDryRun } from '../dry-run.ts';
import { UsageError } from '../errors.ts';
import { follow } from '../follow.ts';
import { print, say } from '../output.ts';
import { requestOfCaller, startDeployment, utcStamp } from '../requests.ts';

/** `canary:10:300`, `linear:25:60`, `all-at-once`, or the JSON form. */
export function parseStrategy(text: string): Strategy {
  let raw: unknown;
  if (text.trim().startsWith('{')) {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new UsageError(`--strategy: not valid JSON: ${text}`);
    }
  } else {
    const [type, a, b] = text.split(':');
    if (type === 'canary') raw = { type, percent: Number(a), bakeSeconds: Number(b) };
    else if (type === 'linear') raw = { type, stepPercent: Number(a), intervalSeconds: Number(b) };
    else raw = { type };
  }
  const parsed = StrategySchema.safeParse(raw);
  if (!parsed.success) {
    throw new UsageError(
      `--strategy: ${formatIssues(parsed.error)} (use all-at-once, canary:<percent>:<bakeSeconds>, linear:<stepPercent>:<intervalSeconds> or JSON)`,
    );
  }
  return parsed.data;
}

/**
 * Never the name of an earlier execution, even one whose name Step Functions
 * freed (90 days after it closed) while its record lives on (400 days): every
 * name carries the UTC date. For a digest the date only, so a second start
 * of the same image that day is refused by its name; for a tag the time to
 * the second.
 */
export function executionName(request: DeploymentRequest, now = new Date()): string {
  const suffix = request.dryRun ? '-dry-run' : '';
  if (request.imageDigest) return `${request.service}-${request.imageDigest.slice(7, 19)}-${utcStamp(now).slice(0, 8)}${suffix}`;
  const stamp = utcStamp(now);
  const tag = (request.imageTag ?? 'image').replace(/[^A-Za-z0-9_-]/g, '_');
  // Step Functions allows 80 characters: a long tag is shortened, the stamp (what makes the name unique) and the suffix are kept.
  const tail = `-${stamp}${suffix}`;
  return `${request.service}-${tag}`.slice(0, 80 - tail.length) + tail;
}

async function run(ctx: CliContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const intervalSeconds = intervalOf(values);
  if (!values.tag && !values.digest) throw new UsageError('deploy: give --tag <tag> or --digest <sha256:...>');
  const service = serviceNamed(ctx, serviceName);
  const request = await requestOfCaller(ctx, {
    service: service.name,
    ...(values.tag ? { imageTag: values.tag } : {}),
    ...(values.digest ? { imageDigest: values.digest } : {}),
    ...(values.strategy ? { strategy: parseStrategy(values.strategy) } : {}),
    ...(values.approval ? { approval: true } : {}),
    dryRun: values['dry-run'],
    hotfix: values.hotfix,
    ...(values.reason ? { reason: values.reason } : {}),
    trigger: 'cli',
  });
  const started = await startDeployment(ctx, request, values.name ?? executionName(request));
  const url = executionConsoleUrl(started.executionArn, ctx.region);
  if (request.dryRun) {
    // A dry run is short and writes no record: it is always followed, to print its plan.
    say(ctx, [`Started ${started.name}`, `  ${url}`]);
    return followDeploymentDryRun(ctx, { service: service.name, executionArn: started.executionArn }, intervalSeconds);
  }
  if (!values.watch) {
    print(ctx, [`Started ${started.name}`, `  ${url}`, `Follow it with: baton watch ${service.name}`], { ...started, consoleUrl: url });
    return 0;
  }
  say(ctx, [`Started ${started.name}`, `  ${url}`]);
  return follow(ctx, service.name, started.executionArn, intervalSeconds);
}

export const deploy: Command = {
  name: 'deploy',
  usage: 'baton deploy <service> (--tag <tag> | --digest <sha256:...>) [options]',
  summary: 'start a blue/green deployment of an image',
  details: `Options:
  --tag <tag>            image tag in the service's ECR repository
  --digest <digest>      image digest (sha256: + 64 hex); the execution name is derived from it and
                         the UTC date, so starting the same image twice a day is refused (exit 4)
  --strategy <s>         all-at-once | canary:<percent>:<bakeSeconds> | linear:<step>:<intervalSeconds> | JSON
  --approval             wait for "baton approve" after verify
  --dry-run              validate, wait for the result and print the plan; change nothing;
                         exit 1 if it is refused
  --hotfix               all at once with a short bake (validate and verify still run)
  --reason <text>        recorded with the deployment
  --name <name>          execution name (default: derived from the image)
  --watch                follow the deployment until it ends (as "baton watch"; with --json, NDJSON);
                         exit 1 unless it succeeded

Examples:
  baton deploy web --tag v1.4.2 --watch
  baton deploy web --digest sha256:2b41...73f --strategy canary:10:300 --approval
  baton deploy web --tag v1.4.3 --dry-run --json`,
  options: ['tag', 'digest', 'strategy', 'approval', 'dry-run', 'hotfix', 'reason', 'name', 'watch', 'interval'],
  run,
};
