/**
 * `npm run simulate -- --report <file>`: the page `baton report` writes, for
 * the simulated run's deployment, from the simulated table's record and the
 * history the simulated Step Functions service keeps for the execution.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { renderReport } from '../cli/report/html.ts';
import { ReportEventSchema } from '../cli/report/timeline.ts';
import { DeploymentViewSchema } from '../cli/views.ts';
import type { AslState } from './definition.ts';
import type { SimulationResult } from './harness.ts';
import { executionHistory } from './stepfunctions/history.ts';

/**
 * The page, or undefined when the run left no deployment record under the
 * main execution's name (a dry run; a release, whose services' records are
 * named otherwise).
 */
export function simulationReport(result: SimulationResult, states: ReadonlyArray<readonly [string, AslState]>): string | undefined {
  const item = result.model.table.get(`DEPLOYMENT#${result.main.name}|RECORD`);
  if (!item) return undefined;
  const record = DeploymentViewSchema.parse(item);
  const stateTypes = new Map(states.map(([name, state]) => [name, state.Type]));
  const events = z.array(ReportEventSchema).parse(executionHistory(result.main, stateTypes));
  return renderReport({ record, events });
}

/** Writes the page to `file` if the run has one; returns the summary's line saying what was written. */
export function writeReport(file: string, result: SimulationResult, states: ReadonlyArray<readonly [string, AslState]>): string {
  const page = simulationReport(result, states);
  if (!page)
    return 'Report: none written (no deployment record: a dry run, or a release, whose deployments "baton report" reports one by one)';
  writeFileSync(file, page);
  return `Report: ${file}`;
}
