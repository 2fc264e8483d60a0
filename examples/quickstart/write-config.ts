/**
 * Writes baton.config.json for the deployed quick start from the outputs file
 * of `cdk deploy --outputs-file outputs.json`:
 *
 *   npx tsx examples/quickstart/write-config.ts [outputs.json] [baton.config.json]
 *
 * The config is validated with Baton's loader before it is written; the file
 * is then what `npx cdk deploy -c config=...` of Baton takes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../lib/config/load.ts';
import { configFromOutputs, OutputsError, rawConfig, stackOutputs } from './config.ts';
import { QUICKSTART, type Topology } from './topology.ts';

/** Reads the outputs file, writes the validated config and returns what it wrote. */
export function writeConfig(outputsPath: string, configPath: string, topology: Topology = QUICKSTART): Record<string, unknown> {
  let outputsFile: unknown;
  try {
    outputsFile = JSON.parse(readFileSync(outputsPath, 'utf8'));
  } catch (error) {
    throw new OutputsError(`cannot read ${outputsPath} (${(error as Error).message}); deploy with --outputs-file ${outputsPath}`, {
      cause: error,
    });
  }
  const outputs = stackOutputs(outputsFile, topology.stackName);
  configFromOutputs(topology, outputs, configPath);
  const raw = rawConfig(topology, outputs);
  writeFileSync(configPath, `${JSON.stringify(raw, null, 2)}\n`);
  return raw;
}

if (process.argv[1] === import.meta.filename) {
  const [outputsPath = 'outputs.json', configPath = 'baton.config.json'] = process.argv.slice(2);
  try {
    writeConfig(outputsPath, configPath);
    console.log(`wrote ${configPath}; deploy Baton with: npx cdk deploy -c config=${configPath}`);
  } catch (error) {
    if (!(error instanceof OutputsError || error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}
