/**
 * Reads and validates the config file at synth time. Any problem becomes a
 * ConfigError whose lines each name the field (services[0].productionListenerArn)
 * and what is wrong, so `cdk synth` fails before anything is deployed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type BatonConfig, BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { jsonShapeProblems } from '../../lambdas/shared/json-shape.ts';
import { issueLines } from '../../lambdas/shared/zod-format.ts';

export class ConfigError extends Error {
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid Baton config ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`, options);
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

export function parseConfig(raw: unknown, file: string): BatonConfig {
  // A key named __proto__ would be dropped without a word, and deep nesting overflows before the schema reads it.
  const shape = jsonShapeProblems(raw);
  if (shape.length > 0) throw new ConfigError(file, shape);
  const parsed = BatonConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, issueLines(parsed.error, BatonConfigSchema));
  return parsed.data;
}

export function loadConfig(path: string): BatonConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      path,
      [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'}); pass another with -c config=<path>`],
      {
        cause: error,
      },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`(root): not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  return parseConfig(raw, path);
}
