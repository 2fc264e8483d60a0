/**
 * What an execution is doing, read from Step Functions (DescribeExecution and
 * the execution history): the phase it is in, the phases done, the time
 * elapsed, and the traffic split on its service's production listener; and what the CLI reads of an
 * execution's input and output JSON, each through a zod schema.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { type Plan, PlanSchema } from '../lambdas/shared/contract.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { ReleaseRequestSchema } from '../lambdas/shared/release.ts';
import type { CliContext } from './context.ts';
import { NotFoundError } from './errors.ts';
import { parseJson } from './json.ts';
import { secondsBetween } from './output.ts';
import { type Progress, readProgress } from './progress.ts';
import { type ProductionTraffic, productionTraffic } from './traffic.ts';

export interface ExecutionView extends ProductionTraffic, Progress {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly elapsedSeconds: number;
  /** The image the input asks for: its tag, else its digest. */
  readonly image?: string;
  /** Set for the execution of a multi-service release (its input names a release). */
  readonly kind?: 'release';
  readonly error?: string;
  readonly cause?: string;
}

/** The output of a release dry run (release-branch.ts, Describe plan): the release, its order (wave by wave) and each service's plan. */
const ReleasePlanOutputSchema = z.object({
  release: ReleaseRequestSchema.shape.release,
  waves: z.array(z.array(z.string())),
  plans: z.array(PlanSchema),
});
export type ReleasePlanOutput = z.infer<typeof ReleasePlanOutputSchema>;

/** The plan a deployment dry run ended with (Dry run passed outputs $.plan); undefined when its output does not hold one. */
export function deploymentPlanOutput(described: DescribeExecutionCommandOutput): Plan | undefined {
  return parseJson(described.output, PlanSchema);
}

/** The plans a release dry run ended with; undefined when its output does not hold them. */
export function releasePlanOutput(described: DescribeExecutionCommandOutput): ReleasePlanOutput | undefined {
  return parseJson(described.output, ReleasePlanOutputSchema);
}

/** Every history event of the execution, oldest first, page by page. */
export async function allEvents(ctx: CliContext, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ctx.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** DescribeExecution every interval until the execution ends: how a dry run, which writes no record, is followed. */
export async function waitForEnd(ctx: CliContext, executionArn: string, intervalSeconds: number): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await describeExecution(ctx, executionArn);
    if (described.status !== 'RUNNING') return described;
    await ctx.io.sleep(intervalSeconds * 1000);
  }
}

/** DescribeExecution; an execution that does not exist is not found (exit 3). */
export async function describeExecution(ctx: CliContext, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  try {
    return await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) throw new NotFoundError(`no execution ${executionArn}`, { cause: error });
    throw error;
  }
}

export async function executionView(ctx: CliContext, executionArn: string): Promise<ExecutionView> {
  const described = await describeExecution(ctx, executionArn);
  const events = await allEvents(ctx, executionArn);
  const start = described.startDate ?? new Date();
  const input = classifyInput(parseJson(described.input, z.unknown()));
  const asked = input.service ? input.images.get(input.service) : undefined;
  const image = asked?.imageTag ?? asked?.imageDigest;
  return {
    executionArn,
    name: described.name ?? executionArn.split(':').pop() ?? '',
    status: described.status ?? 'UNKNOWN',
    startDate: start.toISOString(),
    ...(described.stopDate ? { stopDate: described.stopDate.toISOString() } : {}),
    elapsedSeconds: secondsBetween(start, described.stopDate ?? new Date()),
    ...readProgress(events, {
      status: described.status ?? 'UNKNOWN',
      ...(described.error ? { error: described.error } : {}),
      approvalTimeoutSeconds: ctx.config.pipeline.approvalTimeoutSeconds,
    }),
    ...(image ? { image } : {}),
    ...(await productionTraffic(ctx, input.kind === 'release' ? undefined : input.service)),
    ...(input.kind === 'release' ? { kind: 'release' as const } : {}),
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
  };
}
