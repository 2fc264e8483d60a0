/**
 * The offline demo of the quick start: `npm run simulate` on the account and
 * config generated from examples/quickstart/topology.ts, the README's command.
 */
import { describe, expect, it } from 'vitest';
import { SIM_ACCOUNT_PATH, SIM_CONFIG_PATH } from '../../examples/quickstart/generate-sim.ts';
import { runCli } from '../../sim/cli-main.ts';

async function simulateQuickstart(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['--config', SIM_CONFIG_PATH, '--account', SIM_ACCOUNT_PATH, ...args], {
    out: (text) => (out += text),
    err: (text) => (err += text),
  });
  return { code, out, err };
}

describe('npm run simulate on the quick-start account', () => {
  it('deploys the pushed image to green, smoke-tested through the test listener, and every invariant holds', async () => {
    // Act
    const { code, out, err } = await simulateQuickstart();

    // Assert
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain('  00:00  Validate                          ok\n');
    expect(out).toContain('Smoke test new colour             ok\n');
    expect(out).toContain('Traffic: blue 0 % / green 100 %\n');
    expect(out).toContain('Record: SUCCEEDED: v1.4.2 live on green (web-green) after a 300 s bake\n');
    expect(out).toContain('Invariants: all hold\n');
  });

  it('rolls back to blue when a target-group alarm fires during the bake', async () => {
    // Act
    const { code, out } = await simulateQuickstart('--fault', 'alarm-during-bake', '--json');

    // Assert
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(JSON.parse(lines[lines.length - 1] ?? '')).toMatchObject({
      status: 'FAILED',
      error: 'GateFailedError',
      liveColor: 'blue',
      record: { status: 'ROLLED_BACK' },
    });
    // The fault fires the first alarm of the config: one of the four the stack creates on the target groups.
    expect(out).toContain('alarm baton-quickstart-web-blue-5xx is ALARM');
  });
});
