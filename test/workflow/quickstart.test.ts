/**
 * The offline demo of the quick start: `npm run simulate` on the account and
 * config generated from examples/quickstart/topology.ts, the README's command.
 */
import { describe, expect, it } from 'vitest';
import { SIM_ACCOUNT_PATH, SIM_CONFIG_PATH } from '../../examples/quickstart/generate-sim.ts';
import { runCli } from '../../sim/cli-main.ts';

describe('npm run simulate on the quick-start account', () => {
  it('deploys the pushed image to green and every invariant holds', async () => {
    // Arrange
    let out = '';
    let err = '';

    // Act
    const code = await runCli(['--config', SIM_CONFIG_PATH, '--account', SIM_ACCOUNT_PATH], {
      out: (text) => (out += text),
      err: (text) => (err += text),
    });

    // Assert
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain('  00:00  Validate                          ok\n');
    expect(out).toContain('Smoke test new colour             ok\n');
    expect(out).toContain('Traffic: blue 0 % / green 100 %\n');
    expect(out).toContain('Record: SUCCEEDED: v1.4.2 live on green (web-green) after a 300 s bake\n');
    expect(out).toContain('Invariants: all hold\n');
  });
});
