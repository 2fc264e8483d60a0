import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Test files share their worker's modules across files (isolate: false)
 * unless they stub something: each file would otherwise import the simulator,
 * aws-cdk-lib or the CLI afresh (half a second to seconds per file) and
 * compile the same bundles again. The simulation (workflow) and synthesis
 * (stack) tests hold no module state of their own (each simulation builds its
 * own account and containers). A file that mocks a module, stubs env, globals
 * or timers, spies, or mocks SDK clients keeps a fresh module graph of its
 * own: what it stubs must not reach another file.
 */
const STUBS = /\bvi\.(mock|doMock|hoisted|stubEnv|stubGlobal|spyOn|useFakeTimers|setSystemTime|fn)\b|mockClient|process\.env\b/;
const ALWAYS_SHARED = /^test\/(workflow|stack)\//;

const ROOT = dirname(fileURLToPath(import.meta.url));
const testFiles = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((path) => path.endsWith('.test.ts'))
  .map((path) => join('test', path));

/** Whether a test file, or a test support module it imports (test/support/validate.ts mocks the SDK clients at load), stubs anything. */
function stubs(path: string, seen = new Set<string>()): boolean {
  if (seen.has(path)) return false;
  seen.add(path);
  const source = readFileSync(join(ROOT, path), 'utf8');
  if (STUBS.test(source)) return true;
  const imported = [...source.matchAll(/(?:from|import) '(\.[^']+\.ts)'/g)].map((match) => join(dirname(path), match[1] ?? ''));
  return imported.filter((file) => file.startsWith('test/')).some((file) => stubs(file, seen));
}

const SHARED = testFiles.filter((path) => ALWAYS_SHARED.test(path) || !stubs(path));

export default defineConfig({
  test: {
    environment: 'node',
    setupFiles: ['test/support/setup.ts'],
    globalSetup: ['test/support/assemblies.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Synthesis and simulated executions are CPU-bound; two workers match the machines here.
    maxWorkers: 2,
    // A guard against hangs, not a timing target: a test whose config has no cached assembly yet builds it first (15-40 s).
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: {
      BATON_TABLE_NAME: 'baton-test-deployments',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    projects: [
      { extends: true, test: { name: 'isolated', include: testFiles.filter((path) => !SHARED.includes(path)) } },
      { extends: true, test: { name: 'shared', include: SHARED, isolate: false } },
    ],
  },
});
