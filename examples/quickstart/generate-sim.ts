/**
 * Writes the simulated quick-start account and its config from topology.ts:
 * `npx tsx examples/quickstart/generate-sim.ts`. Both files are committed; a
 * test regenerates them and fails when their content differs.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawConfig } from './config.ts';
import { simAccount, simOutputs } from './sim-account.ts';
import { QUICKSTART, type Topology } from './topology.ts';

export const SIM_ACCOUNT_PATH = join(import.meta.dirname, 'sim-account.json');
export const SIM_CONFIG_PATH = join(import.meta.dirname, 'baton.config.sim.json');

/** The two generated documents, by the path they are written to. */
export function generatedDocuments(topology: Topology = QUICKSTART): Record<string, unknown> {
  return {
    [SIM_ACCOUNT_PATH]: simAccount(topology),
    [SIM_CONFIG_PATH]: rawConfig(topology, simOutputs(topology)),
  };
}

if (process.argv[1] === import.meta.filename) {
  const documents = generatedDocuments();
  for (const [path, document] of Object.entries(documents)) writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  // The repository's formatter has the last word on layout, so `biome check` passes on the committed files.
  execFileSync('npx', ['biome', 'format', '--write', ...Object.keys(documents)], { stdio: 'inherit' });
}
