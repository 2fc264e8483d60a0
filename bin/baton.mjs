#!/usr/bin/env node
// `baton` CLI. In a clone of the repository it runs cli/baton.ts through tsx, so the CLI and the handlers share
// their TypeScript modules; in the packed package (npm pack: prepack builds dist/cli, the sources are not packed)
// it runs the bundle, which needs neither tsx nor any dependency.
import { existsSync } from 'node:fs';

const sources = new URL('../cli/baton.ts', import.meta.url);
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
} else {
  await import('../dist/cli/baton.mjs');
}
