/**
 * Safe upgrades (issue 17): a deployment waiting for approval when a new
 * Baton is deployed (a changed handler, a changed definition) finishes on the
 * state machine version and the function versions it started with; the next
 * deployment runs the new ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { publishUpgrade } from '../../sim/upgrade.ts';
import { type Run, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { exampleAccount } from '../support/simulation.ts';

const RENAMED: readonly [string, string] = ['Check bake', 'Check bake after upgrade'];
/** The changed handler: it notes the version Lambda runs it as, then does what it did. */
const MARK = `{
  const previous = module.exports.handler;
  module.exports = { ...module.exports, handler: async (event, context) => {
    (globalThis.batonUpgradeMarks ??= []).push(context.functionVersion);
    return previous(event, context);
  } };
}`;

declare global {
  var batonUpgradeMarks: string[] | undefined;
}

let open: OpenSimulation | undefined;

afterEach(() => {
  open?.close();
  open = undefined;
  globalThis.batonUpgradeMarks = undefined;
});

function baton(...args: string[]): Promise<Run> {
  // With the stack's operator policy alone: starting on the live alias is what an operator is granted.
  return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: 'operator' });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!condition()) throw new Error('condition not reached');
}

describe('upgrading Baton under a running deployment', () => {
  it('finishes the running execution on its original version; the next one runs the upgrade', async () => {
    // Arrange: a deployment waits for approval
    const account = exampleAccount();
    account.ecr.repositories.web?.images.push({
      digest: `sha256:${'c'.repeat(64)}`,
      tags: ['v1.4.3'],
      pushedAt: '2026-11-24T08:55:00Z',
      behaviour: 'healthy',
    });
    open = await openSimulation({ config: exampleConfig(), account, input: {}, approval: 'external' });
    const sim = open.simulation;
    const waiting = () => [...sim.model.table.values()].some((item) => item.awaitingApproval === true);
    const first = JSON.parse((await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json')).out) as { name: string };
    await until(waiting);
    const original = sim.bound;

    // Act: cdk deploy of a new Baton (the Retire handler changed, a state renamed), then approve
    const upgraded = publishUpgrade(sim, { renameState: RENAMED, handler: { phase: 'complete', append: MARK } });
    // Another operator approves (the one who deployed may not).
    sim.model.callerArn = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
    expect((await baton('approve', 'web', '--reason', 'upgrade test')).code).toBe(0);
    expect((await baton('watch', 'web', '--interval', '1')).code).toBe(0);

    // Assert: the running execution ended on the version it started with, and its Tasks on their function versions
    const retire = [...original.bindings].find(([, fn]) => fn.phase === 'complete')?.[0] ?? '';
    expect(original.bindings.get(retire)?.qualifiedArn).toMatch(/:function:[^:]+:1$/);
    expect(upgraded.bindings.get(retire)?.qualifiedArn).toMatch(/:function:[^:]+:2$/);
    const done = sim.executions.get(first.name);
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.executionPath).toContain(RENAMED[0]);
    expect(done?.executionPath).not.toContain(RENAMED[1]);
    expect(globalThis.batonUpgradeMarks).toBeUndefined();

    // Act: the next deployment, started on the alias after the upgrade
    const second = JSON.parse((await baton('deploy', 'web', '--tag', 'v1.4.3', '--json')).out) as { name: string };
    await sim.settle();

    // Assert: it ran the new definition and the new Retire handler (Lambda version 2)
    const next = sim.executions.get(second.name);
    expect(next?.status).toBe('SUCCEEDED');
    expect(next?.executionPath).toContain(RENAMED[1]);
    expect(next?.executionPath).not.toContain(RENAMED[0]);
    expect(globalThis.batonUpgradeMarks).toEqual(['2']);
  });
});
