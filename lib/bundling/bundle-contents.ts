/**
 * What a phase function's bundle carries, read from the build's metafile:
 * the AWS SDK packages it requires at load (the runtime's, external) and the
 * zod locales compiled in. `npm run report:bundles` prints both and the
 * stack tests hold them.
 */
import type { PhaseName } from '../constructs/phases.ts';
import { bundleOutputOf, type PhaseBundles } from './phase-bundles.ts';

/** zod's error messages in English, the only locale the handlers use (zod sets it as the default). */
export const ZOD_DEFAULT_LOCALE = 'en';

export interface BundleContents {
  /** The AWS SDK packages the bundle requires when it loads, sorted (`client-ecs`, `lib-dynamodb`, ...). */
  readonly sdkPackages: readonly string[];
  /** The zod locales in the bundle, sorted (`en`). */
  readonly zodLocales: readonly string[];
}

export function bundleContents(bundles: PhaseBundles, phase: PhaseName): BundleContents {
  const output = bundleOutputOf(bundles, phase);
  const sdkPackages = output.imports
    .filter((entry) => entry.external && entry.path.startsWith('@aws-sdk/'))
    .map((entry) => entry.path.slice('@aws-sdk/'.length));
  const zodLocales = Object.entries(output.inputs)
    .filter(([input, use]) => use.bytesInOutput > 0 && /\/zod\/v4\/locales\/[\w-]+\.js$/.test(input) && !input.endsWith('/index.js'))
    .map(([input]) => input.slice(input.lastIndexOf('/') + 1, -'.js'.length));
  return { sdkPackages: [...new Set(sdkPackages)].sort(), zodLocales: [...new Set(zodLocales)].sort() };
}
