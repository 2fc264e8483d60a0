import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
