/**
 * The pipeline config as the handlers see it. At synth time the stack inlines
 * the validated config into the bundle of every handler that reads it
 * (esbuild `define` of process.env.BATON_CONFIG; `readsConfig` in
 * lib/constructs/phase-functions.ts), so no size limit of Lambda environment variables
 * applies and a config change ships as a new code version. Tests and the
 * simulation set the same variable at run time.
 */
import { type BatonConfig, BatonConfigSchema } from './config-schema.ts';
import { ContractViolationError } from './errors.ts';
import { formatIssues } from './zod-format.ts';

let cached: { raw: string; config: BatonConfig } | undefined;

export function pipelineConfig(): BatonConfig {
  const raw = process.env.BATON_CONFIG;
  if (!raw) throw new ContractViolationError('BATON_CONFIG is not set: the function was not built by the Baton stack');
  if (cached?.raw === raw) return cached.config;
  const parsed = BatonConfigSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) throw new ContractViolationError(`BATON_CONFIG is invalid: ${formatIssues(parsed.error, BatonConfigSchema)}`);
  cached = { raw, config: parsed.data };
  return parsed.data;
}
