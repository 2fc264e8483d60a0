/**
 * The version `baton --version` prints: fixed in the packed CLI's bundle at
 * build time (scripts/build-cli.ts), else package.json's, read where the
 * sources are rather than copied into the code.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

declare const BATON_BUNDLED_VERSION: string | undefined;

const PackageJson = z.object({ version: z.string().min(1) });

export function batonVersion(): string {
  if (typeof BATON_BUNDLED_VERSION === 'string') return BATON_BUNDLED_VERSION;
  return PackageJson.parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))).version;
}
