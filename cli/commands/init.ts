/**
 * `baton init`: reads (never changes) an ECS service and what fronts it (a
 * worker: nothing; cli/init/worker.ts), then
 * writes a config that validates, or, while the service has no twin to
 * deploy to, prints what is missing as CDK and as AWS CLI commands and
 * writes nothing: a config naming a target group that does not exist yet
 * would pass `cdk synth` and fail the first deployment.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { deploymentControllerProblem } from '../../lambdas/shared/deployment-controller.ts';
import type { Command, OptionValues } from '../command.ts';
import type { SetupContext } from '../context.ts';
import { ConflictError, NotFoundError, UsageError } from '../errors.ts';
import { type ConfigChoices, initConfig, reviewLines } from '../init/config.ts';
import { type Discovery, discoverAround } from '../init/discover.ts';
import { cdkSnippet, cliCommands } from '../init/missing.ts';
import { baseName, type Plan, planFor } from '../init/plan.ts';
import { type DiscoveredService, describeNamed } from '../init/services.ts';
import {
  discoverWorker,
  type WorkerDiscovery,
  workerConfig,
  workerLines,
  workerPlanFor,
  workerReviewLines,
  workerTwinSnippets,
} from '../init/worker.ts';
import { print } from '../output.ts';

const DEFAULT_OUT = 'baton.config.json';

function refuseController(service: DiscoveredService): void {
  const problem = deploymentControllerProblem(service.name, service.deploymentController);
  if (problem) throw new ConflictError(`${problem}.\nMove it to the ECS deployment controller first (docs/adopting.md).`);
}

function discoveredLines(d: Discovery, plan: Plan): string[] {
  const weights = (site: NonNullable<Plan['production']>) =>
    Object.entries(site.weights)
      .map(([arn, weight]) => `${arn.split('/')[1]} ${weight}`)
      .join(', ');
  const twin = d.twin ? `${d.twin.name} (target group ${plan[plan.twin].targetGroupName})` : 'none';
  return [
    `${d.service.name} in cluster ${d.cluster} (account ${d.account}, ${d.region}):`,
    `  colour           ${plan.own}; twin: ${twin}`,
    `  target group     ${d.targetGroup.name}`,
    `  production       ${plan.production ? `${plan.production.kind} ${plan.production.arn} (${weights(plan.production)})` : 'none'}`,
    `  test             ${plan.test ? `${plan.test.kind} ${plan.test.arn} (${weights(plan.test)})` : 'none'}`,
    `  task definition  ${d.family}, container ${d.containerName}`,
    `  roles            ${d.taskRoleArn ?? 'no task role'}, ${d.executionRoleArn ?? 'no execution role'}`,
    `  repository       ${d.repositoryName ?? `none (${d.image})`}`,
    `  app config       ${d.appConfig ? `${d.appConfig.secretArn} (${d.appConfig.keys.join(', ')})` : 'none'}`,
    `  alarms           ${d.alarms.length > 0 ? d.alarms.join(', ') : 'none on its target groups'}`,
  ];
}

const PIECES: Record<Plan['missing'][number], string> = {
  'target group': 'the twin target group',
  service: 'the twin service',
  'weighted forward': 'the weighted forward to both colours',
};

function missingText(plan: Plan): string {
  return plan.missing.map((piece) => PIECES[piece]).join(', ');
}

function write(file: string, raw: unknown, force: boolean): void {
  try {
    writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ConflictError(`${file} exists: pass --force to overwrite it`, { cause: error });
    throw error;
  }
}

async function runInit(ctx: SetupContext, serviceName: string | undefined, values: OptionValues): Promise<number> {
  const cluster = values.cluster;
  if (!cluster) throw new UsageError(`init: name the cluster with --cluster <cluster>\nUsage: ${init.usage}`);
  const file = values.out ?? DEFAULT_OUT;
  // Before any call: a file to keep is the quickest refusal.
  if (existsSync(file) && !values.force) throw new ConflictError(`${file} exists: pass --force to overwrite it`);
  const service = await describeNamed(ctx, cluster, serviceName ?? '');
  refuseController(service);
  const choices = (name: string): ConfigChoices => ({
    name: values.name ?? baseName(name),
    environment: values.environment ?? 'production',
    file,
  });
  if (!service.targetGroupArn) return initWorker(ctx, await discoverWorker(ctx, cluster, service), choices(service.name), values.force);
  const d = await discoverAround(ctx, cluster, service);
  if (d.twin) refuseController(d.twin);
  const plan = planFor(d);
  const chosen = choices(service.name);
  const lines = discoveredLines(d, plan);

  if (plan.missing.length > 0 || plan.problems.length > 0) {
    const cdk = plan.missing.length > 0 ? cdkSnippet(d, plan) : '';
    const cli = plan.missing.length > 0 ? cliCommands(d, plan) : '';
    print(
      ctx,
      [
        ...lines,
        ...(plan.missing.length > 0 ? [`missing for blue/green: ${missingText(plan)}`, '', 'CDK (TypeScript):', cdk, 'AWS CLI:', cli] : []),
        ...plan.problems.map((problem) => `problem: ${problem}`),
      ],
      { discovered: d, plan, written: null, cdk, cli },
    );
    throw new NotFoundError(
      `${service.name} is not ready for Baton (${[...(plan.missing.length > 0 ? [`missing ${missingText(plan)}`] : []), ...plan.problems].join('; ')}): ${file} not written; run baton init again once it is`,
    );
  }
  const { raw } = initConfig(d, plan, chosen);
  const review = reviewLines(d, plan, chosen);
  write(file, raw, values.force);
  print(
    ctx,
    [
      ...lines,
      `wrote ${file} (service "${chosen.name}")`,
      'review these (defaults, not discovered):',
      ...review.map((line) => `  ${line}`),
      `next: npx cdk synth -c config=${file}`,
    ],
    { discovered: d, plan, written: file, config: raw, review },
  );
  return 0;
}

/** A worker (no load balancer): its twin found by name, or the command to create it. */
async function initWorker(ctx: SetupContext, d: WorkerDiscovery, choices: ConfigChoices, force: boolean): Promise<number> {
  if (d.twin) refuseController(d.twin);
  const plan = workerPlanFor(d);
  const lines = workerLines(d, plan);
  if (plan.twinMissing || plan.problems.length > 0) {
    const snippets = plan.twinMissing ? workerTwinSnippets(d, plan) : undefined;
    print(
      ctx,
      [
        ...lines,
        ...(snippets
          ? [`missing for blue/green: the twin service ${plan[plan.twin]}`, '', 'CDK (TypeScript):', snippets.cdk, 'AWS CLI:', snippets.cli]
          : []),
        ...plan.problems.map((problem) => `problem: ${problem}`),
      ],
      { discovered: d, plan, written: null, ...(snippets ?? {}) },
    );
    throw new NotFoundError(
      `${d.service.name} is not ready for Baton (${[...(plan.twinMissing ? [`missing the twin service ${plan[plan.twin]}`] : []), ...plan.problems].join('; ')}): ${choices.file} not written; run baton init again once it is`,
    );
  }
  const { raw } = workerConfig(d, plan, choices);
  const review = workerReviewLines(d, choices);
  write(choices.file, raw, force);
  print(
    ctx,
    [
      ...lines,
      `wrote ${choices.file} (service "${choices.name}", a worker)`,
      'review these (defaults, not discovered):',
      ...review.map((line) => `  ${line}`),
      `next: npx cdk synth -c config=${choices.file}`,
    ],
    { discovered: d, plan, written: choices.file, config: raw, review },
  );
  return 0;
}

export const init: Command = {
  name: 'init',
  usage: 'baton init <ecs service> --cluster <cluster> [--name <name>] [--environment <env>] [--out <file>] [--force]',
  summary: 'discover an ECS service and what fronts it; write its config, or print what blue/green still needs',
  details: `Reads, with read-only calls (DescribeServices, ListServices, DescribeTaskDefinition,
DescribeTargetGroups, DescribeListeners, DescribeRules, DescribeAlarms), the service, its target
group, the listener or rule forwarding to it, the twin service in the other target group of that
forward, the task definition (family, container, roles, ECR repository, app-config secret) and the
alarms on the two target groups. Needs no config file.

With a twin, writes the config (validated as cdk synth validates it) and lists the settings to review.
Without one, writes nothing, prints the twin target group, the twin service and the weighted forward
as a CDK snippet and as AWS CLI commands, and exits 3. A service that CodeDeploy (or an external
controller) deploys is refused (exit 4): Baton needs the ECS deployment controller.

A service with no load balancer is a worker (its colours' task counts are its production): its twin
is the service named as its other colour (jobs-blue, jobs-green), and the config says "kind": "worker"
with no alarms (none can be found without a target group: name them). Without the twin, init prints
it to create, as for a web service.

Options:
  --cluster <cluster>   the ECS cluster (required)
  --name <name>         the service's name in the config (default: the ECS service's without -blue/-green)
  --environment <env>   pipeline.environment (default: production)
  --out <file>          where to write the config (default: ${DEFAULT_OUT})
  --force               overwrite --out if it exists

Examples:
  baton init web-blue --cluster prod --region eu-west-1
  baton init web-blue --cluster prod --out staging.config.json --environment staging --json`,
  options: ['cluster', 'name', 'environment', 'out', 'force'],
  setup: runInit,
};
