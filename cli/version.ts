/** The version `baton --version` prints: package.json's, read where the CLI is installed rather than copied into the code. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const PackageJson = z.object({ version: z.string().min(1) });

export function batonVersion(): string {
  return PackageJson.parse(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))).version;
}
