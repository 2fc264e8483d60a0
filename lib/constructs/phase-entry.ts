/**
 * Where each phase's handler source lives. Apart from phase-functions.ts so
 * the simulator (which loads handlers from source with --from-source) and the
 * tests find them without importing aws-cdk-lib.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PHASES, type PhaseName } from './phases.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function entryOf(phase: PhaseName): string {
  return join(ROOT, 'lambdas', PHASES[phase].dir, 'index.ts');
}
