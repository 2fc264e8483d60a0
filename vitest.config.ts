import { defineConfig } from 'vitest/config';

/**
 * The simulation (workflow) and synthesis (stack) tests share their worker's
 * modules across files (isolate: false): each of their files would otherwise
 * import the simulator or aws-cdk-lib afresh and compile the same bundles
 * again, most of their run. They hold no module state of their own (no
 * vi.mock, spies or stubbed env; each simulation builds its own account and
 * containers). Unit tests stub env, timers and SDK clients per file: they
 * keep a fresh module graph each.
 */
const SHARED = ['test/workflow/**/*.test.ts', 'test/stack/**/*.test.ts'];

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
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: SHARED } },
      { extends: true, test: { name: 'shared', include: SHARED, isolate: false } },
    ],
  },
});
