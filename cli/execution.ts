/**
 * What an execution is doing, read from Step Functions (DescribeExecution and
 * the execution history): the phase it is in, the phases done, the traffic
 * split of its latest payload, the time elapsed; and what the CLI reads of an
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
import { PlanSchema } from '../lambdas/shared/contract.ts';
import { classifyInput } from '../lambdas/shared/execution-input.ts';
import { ReleaseRequestSchema } from '../lambdas/shared/release.ts';
import { DeploymentStateSchema } from '../lambdas/shared/stages.ts';
import type { CliContext } from './context.ts';
import { NotFoundError } from './errors.ts';
import { secondsBetween } from './output.ts';

export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly status: string;
  readonly startDate: string;
  readonly stopDate?: string;
  readonly elapsedSeconds: number;
  /** The state the execution is in (or ended in). */
  readonly currentState?: string;
  /** Task states that finished, in order, repeats folded. */
  readonly completed: string[];
  /** Production weights as of the latest payload, when it carries them. */
  readonly traffic?: { blue: number; green: number };
  /** Set for the execution of a multi-service release (its input names a release). */
  readonly kind?: 'release';
  readonly error?: string;
  readonly cause?: string;
}

/**
 * The two fields of a state's output the traffic split is read from, as
 * DeploymentStateSchema defines them: the colour the deployment moves to and
 * the weight on it (none yet: 0). Only these, not the whole schema: every
 * state's output is read, Pass states' and the release branch's too, and a
 * payload without them just has no split.
 */
const TrafficPayloadSchema = z.object({
  idle: DeploymentStateSchema.shape.idle.pick({ colour: true }),
  traffic: DeploymentStateSchema.shape.traffic.unwrap().pick({ weight: true }).partial().optional(),
});

/** The output of a release dry run (release-branch.ts, Describe plan): the release, its order (wave by wave) and each service's plan. */
const ReleasePlanOutputSchema = z.object({
  release: ReleaseRequestSchema.shape.release,
  waves: z.array(z.array(z.string())),
  plans: z.array(PlanSchema),
});
export type ReleasePlanOutput = z.infer<typeof ReleasePlanOutputSchema>;

/** The JSON text as the schema reads it; undefined when it is absent, not JSON or not of that shape. */
function parseJson<T>(text: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (!text) return undefined;
  try {
    return schema.safeParse(JSON.parse(text)).data;
  } catch {
    return undefined;
  }
}

function trafficOf(output: string | undefined): { blue: number; green: number } | undefined {
  const payload = parseJson(output, TrafficPayloadSchema);
  if (!payload) return undefined;
  const weight = payload.traffic?.weight ?? 0;
  return payload.idle.colour === 'green' ? { blue: 100 - weight, green: weight } : { blue: weight, green: 100 - weight };
}

/** The plans a release dry run ended with; undefined when its output does not hold them. */
export function releasePlanOutput(described: DescribeExecutionCommandOutput): ReleasePlanOutput | undefined {
  return parseJson(described.output, ReleasePlanOutputSchema);
}

async function allEvents(ctx: CliContext, executionArn: string): Promise<HistoryEvent[]> {
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
  const completed: string[] = [];
  let currentState: string | undefined;
  let traffic: { blue: number; green: number } | undefined;
  for (const event of events) {
    if (event.stateEnteredEventDetails?.name) currentState = event.stateEnteredEventDetails.name;
    const exited = event.stateExitedEventDetails;
    if (exited?.name) {
      if (event.type === 'TaskStateExited' && completed[completed.length - 1] !== exited.name) completed.push(exited.name);
      traffic = trafficOf(exited.output) ?? traffic;
    }
  }
  const start = described.startDate ?? new Date();
  return {
    executionArn,
    name: described.name ?? executionArn.split(':').pop() ?? '',
    status: described.status ?? 'UNKNOWN',
    startDate: start.toISOString(),
    ...(described.stopDate ? { stopDate: described.stopDate.toISOString() } : {}),
    elapsedSeconds: secondsBetween(start, described.stopDate ?? new Date()),
    ...(currentState ? { currentState } : {}),
    completed,
    ...(traffic ? { traffic } : {}),
    ...(classifyInput(parseJson(described.input, z.unknown())).kind === 'release' ? { kind: 'release' as const } : {}),
    ...(described.error ? { error: described.error } : {}),
    ...(described.cause ? { cause: described.cause } : {}),
  };
}
