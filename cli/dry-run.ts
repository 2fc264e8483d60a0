/**
 * Dry runs: the plan one ends with (Describe plan / Dry run passed) as lines,
 * what `baton deploy --dry-run`, `baton release --dry-run` and `npm run
 * simulate` print for each service; and following a deployment's dry run.
 */
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
      `traffic ${plan.traffic.map((step) => `${step.weight} %`).join(' -> ')}, bake ${plan.bakeSeconds} s`,
    ],
  };
}

/** A single service's plan: "Dry run of web passed: nothing changed" and the plan indented under it. */
export function deploymentPlanText(plan: Plan): string[] {
  const { head, details } = planLines(plan);
  return [`Dry run of ${plan.service} passed: nothing changed`, `  ${head}`, ...details.map((line) => `    ${line}`)];
}

/**
 * A dry run writes no record: waits for the execution and prints the plan it
 * ended with, or its refusal (the cause names the field or the resource).
 * Exit 0 only if it passed with a plan.
 */
export async function followDeploymentDryRun(
  ctx: CliContext,
  summary: { service: string; executionArn: string },
  intervalSeconds: number,
): Promise<number> {
  const described = await waitForEnd(ctx, summary.executionArn, intervalSeconds);
  const plan = deploymentPlanOutput(described);
  // Succeeded without a plan in its output: not a dry run this CLI understands, so not a pass.
  const passed = described.status === 'SUCCEEDED' && plan !== undefined;
  if (ctx.json) {
    printJson(ctx, {
      ...summary,
      status: described.status,
      ...(plan ? { plan } : {}),
      error: described.error ?? null,
      cause: described.cause ?? null,
    });
  } else if (passed) {
    ctx.io.out(`${deploymentPlanText(plan).join('\n')}\n`);
  } else if (described.status === 'SUCCEEDED') {
    ctx.io.out(`Dry run of ${summary.service} ended without a plan in its output; see the execution in the console\n`);
  } else {
    ctx.io.out(`Dry run of ${summary.service} refused: ${described.error ?? described.status ?? 'UNKNOWN'}: ${described.cause ?? ''}\n`);
  }
  return passed ? 0 : EXIT_DEPLOYMENT_FAILED;
}
