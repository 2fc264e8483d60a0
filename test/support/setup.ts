import 'aws-sdk-client-mock-vitest/extend';

/**
 * Powertools Metrics prints its embedded-metric-format lines to stdout, as
 * Lambda expects. A test that checks them captures them first
 * (captureMetrics in telemetry.ts); the others' lines would only fill the
 * test log, so they go nowhere. Installed once per worker: a worker that
 * shares its modules runs this file before each test file.
 */
const QUIET = Symbol.for('baton.test.quietMetrics');
const stdout = process.stdout as NodeJS.WriteStream & { [QUIET]?: true };
if (!stdout[QUIET]) {
  stdout[QUIET] = true;
  const write = stdout.write.bind(stdout) as (...args: unknown[]) => boolean;
  stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && chunk.startsWith('{"_aws":') ? true : write(chunk, ...rest)) as typeof stdout.write;
}
