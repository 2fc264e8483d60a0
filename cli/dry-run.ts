/**
 * Dry runs: the plan one ends with (Describe plan / Dry run passed) as lines,
 * what `baton deploy --dry-run`, `baton release --dry-run` and `npm run
 * simulate` print for each service; and following a deployment's dry run.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { weightsFor } from '../lambdas/shared/aws/listener.ts';
import { countsFor } from '../lambdas/shared/aws/worker-counts.ts';
import type { Plan } from '../lambdas/shared/contract.ts';
import type { CliContext } from './context.ts';
import { EXIT_DEPLOYMENT_FAILED } from './errors.ts';
import { deploymentPlanOutput, waitForEnd } from './execution.ts';
import { printJson } from './output.ts';

/** The head ("blue -> green, <image> -> <image>") and the details: task definition changes, app config, rollback source, traffic. */
export function planLines(plan: Plan): { head: string; details: string[] } {
  return {
    head: `${plan.liveColour} -> ${plan.targetColour}, ${plan.image.current} -> ${plan.image.next}`,
    details: [
      // The changes include the app-config version and its key diff when the version changes.
      ...plan.taskDefinition.changes,
      ...(plan.configDiff?.note ? [`app config: ${plan.configDiff.note}`] : []),
      ...(plan.restores ? [`restores the revision of ${plan.restores.deploymentId} (${plan.restores.taskDefinitionArn})`] : []),
      `traffic ${plan.traffic.map((step) => `${step.weight} %${tasksAt(plan, step.weight)}`).join(' -> ')}, bake ${plan.bakeSeconds} s`,
      ...(plan.scaling ?? []).map((line) => `scaling: ${line}`),
    ],
  };
}

/** A worker's step in tasks of the new colour: " (1 of 4 tasks)". */
function tasksAt(plan: Plan, weight: number): string {
  if (plan.tasks === undefined) return '';
  const tasks = countsFor(weightsFor(plan.targetColour, weight), plan.tasks)[plan.targetColour];
  return ` (${tasks} of ${plan.tasks} task${plan.tasks === 1 ? '' : 's'})`;
}

/** A single service's plan: "Dry run of web passed: nothing changed" and the plan indented under it. */
export function deploymentPlanText(plan: Plan): string[] {
  const { head, details } = planLines(plan);
  return [`Dry run of ${plan.service} passed: nothing changed`, `  ${head}`, ...details.map((line) => `    ${line}`)];
}

/** What a dry run's ending says in words: its plan when it passed, its refusal otherwise. */
interface DryRunWords<T> {
  /** "Dry run of web", "Dry run of release 2026-11-22.1". */
  readonly what: string;
  readonly passed: (output: T) => string[];
  readonly refused: (described: DescribeExecutionCommandOutput) => string;
}

/**
 * A dry run writes no record: waits for the execution and prints the plan it
 * ended with (`read` from its output), or its refusal (the cause names the
 * field or the resource). Exit 0 only if it passed with a plan.
 */
export async function followDryRun<T, S extends { executionArn: string }>(
  ctx: CliContext,
  summary: S,
  intervalSeconds: number,
  read: (described: DescribeExecutionCommandOutput) => T | undefined,
  words: DryRunWords<T>,
): Promise<number> {
  const described = await waitForEnd(ctx, summary.executionArn, intervalSeconds);
  const output = read(described);
  // Succeeded without a plan in its output: not a dry run this CLI understands, so not a pass.
  const passed = described.status === 'SUCCEEDED' && output !== undefined;
  if (ctx.json) {
    printJson(ctx, {
      ...summary,
      status: described.status,
      ...(output !== undefined ? { plan: output } : {}),
      error: described.error ?? null,
      cause: described.cause ?? null,
    });
  } else if (passed) {
    ctx.io.out(`${words.passed(output).join('\n')}\n`);
  } else if (described.status === 'SUCCEEDED') {
    ctx.io.out(`${words.what} ended without a plan in its output; see the execution in the console\n`);
  } else {
    ctx.io.out(`${words.refused(described)}\n`);
  }
  return passed ? 0 : EXIT_DEPLOYMENT_FAILED;
}

/** A single service's dry run, as `baton deploy --dry-run` follows it. */
export function followDeploymentDryRun(
  ctx: CliContext,
  summary: { service: string; executionArn: string },
  intervalSeconds: number,
): Promise<number> {
  return followDryRun(ctx, summary, intervalSeconds, deploymentPlanOutput, {
    what: `Dry run of ${summary.service}`,
    passed: deploymentPlanText,
    refused: (described) =>
      `Dry run of ${summary.service} refused: ${described.error ?? described.status ?? 'UNKNOWN'}: ${described.cause ?? ''}`,
  });
}
