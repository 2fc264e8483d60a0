/**
 * The operator policies against the simulation, authorized as IAM would
 * (sim/iam/calls.ts, asOperator): each command runs with only its own row of
 * OPERATOR_PERMISSIONS (what docs/cli.md lists for it); an operator given only
 * `<name>-viewer` reads everything the read-only commands show, and starting
 * a deployment is refused with AWS's AccessDenied naming the action. The
 * operator policy runs every command in baton-cli.test.ts and baton-release-cli.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandName } from '../../lib/constructs/operator-policy.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { grantsOf, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { exampleAccount } from '../support/simulation.ts';

let open: OpenSimulation | undefined;

afterEach(async () => {
  await open?.simulation.settle();
  open?.close();
  open = undefined;
});

const viewer = (...args: string[]) => runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: 'viewer' });
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!condition()) throw new Error('condition not reached');
}

const operator = (...args: string[]) => runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: 'operator' });

/** Runs a baton command as an operator whose role allows only what that command needs. */
function only(command: CommandName, ...args: string[]) {
  return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: grantsOf(command, exampleConfig()) });
}

async function waitingDeployment(): Promise<OpenSimulation> {
  const sim = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {}, approval: 'external' });
  open = sim;
  const started = await only('deploy', 'deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json');
  expect(started.code).toBe(0);
  await until(() => [...sim.simulation.model.table.values()].some((item) => item.awaitingApproval === true));
  return sim;
}

describe('each command with only its own grants', () => {
  it('deploy, status, approve, watch, history and report', async () => {
    // Arrange: deploy (with only its grants) waits for approval
    const sim = await waitingDeployment();

    // Act
    const status = await only('status', 'status', 'web', '--json');
    sim.simulation.model.callerArn = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
    const approved = await only('approve', 'approve', 'web');
    const watched = await only('watch', 'watch', 'web', '--interval', '1');
    const history = await only('history', 'history', 'web', '--json');
    const [latest] = JSON.parse(history.out) as Array<{ deploymentId: string }>;
    const report = await only('report', 'report', latest?.deploymentId ?? '', '--out', '/dev/null');

    // Assert
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out).running).not.toHaveProperty('trafficUnknown');
    expect(approved.code).toBe(0);
    expect(watched.code).toBe(0);
    expect(history.code).toBe(0);
    expect(report.code).toBe(0);
  });

  it('reject, then rollback to the release before', async () => {
    // Arrange
    await waitingDeployment();

    // Act
    const rejected = await only('reject', 'reject', 'web', '--reason', 'p99 too high');
    await open?.simulation.settle();
    const rolledBack = await only('rollback', 'rollback', 'web', '--watch', '--interval', '1');

    // Assert
    expect(rejected.code).toBe(0);
    expect(rolledBack.code).toBe(0);
  });

  it('abort', async () => {
    // Arrange
    await waitingDeployment();

    // Act
    const aborted = await only('abort', 'abort', 'web', '--reason', 'wrong image');

    // Assert
    expect(aborted.code).toBe(0);
  });
});

describe('the viewer policy', () => {
  it('refuses baton deploy (exit 5) with the action IAM denied, and changes nothing', async () => {
    // Arrange
    open = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {} });

    // Act
    const result = await viewer('deploy', 'web', '--tag', 'v1.4.2');

    // Assert
    expect(result.code).toBe(5);
    expect(result.err).toContain('states:StartExecution');
    expect(result.err).toContain('assumed-role/baton-production-viewer/operator');
    expect(open.simulation.apis.calls.filter((call) => call.operation === 'StartExecution' && !call.error)).toEqual([]);
  });

  it('shows status, history and watch of a deployment operators started and approved', async () => {
    // Arrange: an operator starts a deployment that waits for approval
    const sim = await openSimulation({ config: exampleConfig(), account: exampleAccount(), input: {}, approval: 'external' });
    open = sim;
    const started = await operator('deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json');
    expect(started.code).toBe(0);
    await until(() => [...sim.simulation.model.table.values()].some((item) => item.awaitingApproval === true));

    // Act: the viewer looks while it waits, another operator approves, the viewer follows it to the end
    const status = await viewer('status', 'web', '--json');
    const history = await viewer('history', 'web', '--json');
    sim.simulation.model.callerArn = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
    const approved = await operator('approve', 'web');
    const watched = await viewer('watch', 'web');

    // Assert
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ service: 'web', running: { status: 'RUNNING', currentState: 'Wait for approval' } });
    expect(JSON.parse(status.out).running).not.toHaveProperty('trafficUnknown');
    expect(history.code).toBe(0);
    expect(history.out).toContain(JSON.parse(started.out).name);
    expect(approved.code).toBe(0);
    expect(watched.code).toBe(0);
  });
});
