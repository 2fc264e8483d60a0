/**
 * Each traffic step's last judgement, appended to the deployment record once
 * per step (records/deployment.ts appendForStep).
 */
import { appendForStep } from '../records/deployment.ts';
import type { RecordOwner } from '../records/table.ts';
import type { AnalysisEntry } from './entry.ts';

/** Appends a step's judgement, once per step (`lastAnalysedStep`); false when it was already. */
export function recordJudgement(deploymentId: string, owner: RecordOwner, entry: AnalysisEntry): Promise<boolean> {
  return appendForStep(deploymentId, owner, { list: 'analyses', last: 'lastAnalysedStep', step: entry.step, entry });
}
