/**
 * `npm run build:cli` (and `npm pack`, through prepack): bundles the `baton`
 * CLI into one ES module, dist/cli/baton.mjs, with every library it uses
 * inside it, so the packed package installs and runs with no dependency and
 * no TypeScript tooling (bin/baton.mjs loads it when the sources are absent).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { z } from 'zod';

const ROOT = join(import.meta.dirname, '..');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli', 'baton.mjs');

const version = z.object({ version: z.string().min(1) }).parse(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))).version;

await build({
  entryPoints: [join(ROOT, 'cli', 'baton.ts')],
  outfile: CLI_BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The version is fixed at build time: the bundle has no package.json beside it to read.
  define: { BATON_BUNDLED_VERSION: JSON.stringify(version) },
  banner: {
    js: [
      // Some bundled CommonJS modules call require() for Node built-ins; an ES module has no require of its own.
      "import { createRequire as batonCreateRequire } from 'node:module';",
      'const require = batonCreateRequire(import.meta.url);',
      // The SDK warns on Node 20 that its releases after January 2027 need Node 22; this bundle's SDK is fixed.
      "process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';",
    ].join('\n'),
  },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
process.stderr.write(`built ${CLI_BUNDLE} (baton ${version})\n`);
