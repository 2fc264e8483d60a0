/**
 * The baton CLI end to end against the simulation: its SFN and DynamoDB calls
 * reach the simulated Step Functions service and deployment table, each
 * authorized against the stack's operator managed policy alone (what an
 * operator is given: lib/constructs/operator-policy.ts).
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { type Run, runCli } from '../support/cli.ts';
import { EXAMPLE_CONFIG_PATH, exampleConfig } from '../support/config.ts';
import { exampleAccount } from '../support/simulation.ts';

/** Who runs baton in the simulated account (STS), as records keep it and as messages show it; bob is another operator. */
const ALICE_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
const ALICE = 'Deployer/alice';
const BOB_ARN = 'arn:aws:sts::123456789012:assumed-role/Deployer/bob';
const NEW_DIGEST = 'sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f';
const LIVE_DIGEST = 'sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab';
let open: OpenSimulation | undefined;

afterEach(() => {
  open?.close();
  open = undefined;
});

async function simulation(account = exampleAccount(), faults: string[] = []): Promise<OpenSimulation> {
  open = await openSimulation({ config: exampleConfig(), account, input: {}, approval: 'external', faults });
  return open;
}

function baton(...args: string[]): Promise<Run> {
  return runCli(EXAMPLE_CONFIG_PATH, args, { pause: true, as: 'operator' });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!condition()) throw new Error('condition not reached');
}

function waitingForApproval(sim: OpenSimulation): boolean {
  return [...sim.simulation.model.table.values()].some((item) => item.awaitingApproval === true);
}

describe('baton against the simulation', () => {
  it('deploys with approval: deploy, status, approve, watch, history', async () => {
    // Arrange
    const sim = await simulation();

    // Act / Assert: deploy
    const started = await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json');
    expect(started.code).toBe(0);
    const { name, executionArn } = JSON.parse(started.out) as { name: string; executionArn: string };
    expect(name).toMatch(/^web-v1_4_2-\d{8}T\d{6}Z$/);
    expect(executionArn).toBe(`arn:aws:states:eu-west-1:123456789012:execution:baton-production:${name}`);
    await until(() => waitingForApproval(sim));

    // status shows where it waits
    const shown = await baton('status', 'web', '--json');
    expect(JSON.parse(shown.out)).toMatchObject({ service: 'web', running: { status: 'RUNNING', currentState: 'Wait for approval' } });

    // another operator approves, then watch it to the end
    sim.simulation.model.callerArn = BOB_ARN;
    const approved = await baton('approve', 'web', '--reason', 'smoke tests green');
    expect(approved.code).toBe(0);
    expect(approved.out).toBe(`Approved ${name} as Deployer/bob: traffic starts moving. Follow it with: baton watch web\n`);
    const watched = await baton('watch', 'web', '--interval', '1');
    expect(watched.code).toBe(0);
    expect(watched.out).toContain('SUCCEEDED: v1.4.2 live on green (web-green) after a 300 s bake');
    expect(watched.out).toContain('  traffic  blue    0 % ....................');

    // history lists it
    const listed = await baton('history', 'web', '--json');
    const records = JSON.parse(listed.out) as Array<Record<string, unknown>>;
    // Newest first: this deployment, then the two releases the example account starts with.
    expect(records.map((r) => r.deploymentId)).toEqual([name, 'web-v1_4_1-20261101T090000Z', 'web-v1_4_0-20261001T090000Z']);
    expect(records[0]).toMatchObject({
      deploymentId: name,
      status: 'SUCCEEDED',
      trigger: 'cli',
      requestedBy: ALICE_ARN,
      approvedBy: BOB_ARN,
      approvalReason: 'smoke tests green',
      awaitingApproval: false,
    });
    // The outcome message names both.
    expect(sim.simulation.model.notifications.at(-1)?.message).toContain('requested by: Deployer/alice\napproved by: Deployer/bob\n');
  });

  it("prints a waiting deployment's view with --json: no approval token, no table keys", async () => {
    // Arrange
    const sim = await simulation();
    const { executionArn } = JSON.parse((await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval', '--json')).out) as {
      executionArn: string;
    };
    await until(() => waitingForApproval(sim));
    const stored = [...sim.simulation.model.table.values()].find((item) => item.awaitingApproval === true) ?? {};
    expect(stored).toHaveProperty('approvalToken');

    // Act
    const byService = await baton('status', 'web', '--json');
    const byExecution = await baton('status', executionArn, '--json');

    // Assert
    for (const printed of [byService.out, byExecution.out]) {
      expect(printed).not.toContain(String(stored.approvalToken));
      expect(printed).not.toMatch(/"(approvalToken|pk|sk|gsi1pk|gsi1sk|expiresAt|resume)"/);
    }
    expect(JSON.parse(byService.out)).toMatchObject({ last: { status: 'IN_PROGRESS', awaitingApproval: true } });
    expect(JSON.parse(byExecution.out)).toMatchObject({ record: { status: 'IN_PROGRESS', awaitingApproval: true } });
    // In words: what to run, and before when (the wait began plus the config's approvalTimeoutSeconds, 3600).
    const { approvalDeadline } = JSON.parse(byExecution.out) as { approvalDeadline: string };
    expect((await baton('status', 'web')).out).toContain(
      `    next     run "baton approve web" before ${approvalDeadline.slice(11, 19)} UTC (`,
    );
  });

  it('rolls back a rejected deployment and watch exits 1', async () => {
    // Arrange
    const sim = await simulation();
    await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval');
    await until(() => waitingForApproval(sim));

    // Act
    const rejected = await baton('reject', 'web', '--reason', 'p99 too high');
    const watched = await baton('watch', 'web', '--interval', '1');

    // Assert
    expect(rejected.code).toBe(0);
    expect(watched.code).toBe(1);
    expect(watched.out).toContain(`ROLLED_BACK: ApprovalRejected: rejected by ${ALICE}: p99 too high`);
  });

  it('aborts a running deployment; the backstop rolls it back', async () => {
    // Arrange
    const sim = await simulation();
    await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval');
    await until(() => waitingForApproval(sim));

    // Act
    const aborted = await baton('abort', 'web', '--reason', 'wrong image');
    await sim.simulation.settle();

    // Assert
    expect(aborted.code).toBe(0);
    const history = JSON.parse((await baton('history', 'web', '--json')).out) as Array<{ status: string; outcomeReason: string }>;
    expect(history[0]?.status).toBe('ROLLED_BACK');
    // StopExecution's cause reaches the record: the history's ExecutionAborted event carries it.
    expect(history[0]?.outcomeReason).toMatch(
      new RegExp(`^ExecutionAborted: execution web-v1_4_2-\\S+ ended ABORTED \\(AbortedByOperator: aborted by ${ALICE}: wrong image\\)$`),
    );
    const forward = sim.simulation.model.listeners[exampleConfig().services[0]?.productionListenerArn ?? '']?.forward ?? {};
    expect(Object.values(forward)).toEqual([100, 0]);
  });

  it("shows the listener's weights after a rollback, not the split the failed step held", async () => {
    // Arrange: an alarm fires while the canary holds green at 25 %
    await simulation(exampleAccount(), ['alarm-during-shift']);

    // Act
    const watched = await baton('deploy', 'web', '--tag', 'v1.4.2', '--strategy', 'canary:25:300', '--watch', '--interval', '1');
    const status = await baton('status', 'web');
    const json = JSON.parse((await baton('status', 'web', '--json')).out) as { traffic: unknown; last: { status: string } };

    // Assert
    expect(watched.code).toBe(1);
    expect(watched.out).toContain('  traffic  blue  100 % ####################\n           green   0 % ....................\n');
    // The last view (after the lines of changes, which may show the step's split while it held) shows no split.
    const lastView = watched.out.search(/^web {2}web-v1_4_2\S+ {2}FAILED/m);
    expect(lastView).toBeGreaterThan(0);
    expect(watched.out.slice(lastView)).not.toContain('75 %');
    // The state that failed is marked so, with its error; not "done".
    expect(watched.out).toContain('  image    v1.4.2\n');
    expect(watched.out).toContain('  failed   Shift traffic: GateFailedError\n  done     Roll back\n');
    expect(watched.out).not.toContain('done     Shift traffic');
    // Without a terminal: a line per change, each with its UTC time, before the last view (the states the polls
    // caught the execution in depend on timing; what the history records does not).
    const stamped = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ web /;
    const lines = watched.out.split('\n').filter((line) => stamped.test(line));
    expect(lines.map((line) => line.replace(stamped, ''))).toEqual(
      expect.arrayContaining([
        'failed Shift traffic: GateFailedError',
        'finished Roll back',
        'ended FAILED (GateFailedError)',
        'traffic blue 100 % / green 0 %',
      ]),
    );
    expect(status.out).toContain(
      '  no deployment running\n  traffic  blue  100 % ####################\n           green   0 % ....................\n',
    );
    expect(json).toMatchObject({ traffic: { blue: 100, green: 0 }, last: { status: 'ROLLED_BACK' } });
  });

  it('refuses to start the same digest twice (exit 4) and says how to look at the first', async () => {
    // Arrange
    await simulation();
    await baton('deploy', 'web', '--digest', NEW_DIGEST);

    // Act
    const second = await baton('deploy', 'web', '--digest', NEW_DIGEST);

    // Assert
    expect(second.code).toBe(4);
    expect(second.err).toContain('an execution named web-2b41b068de95-20261123 already exists');
    expect(second.err).toContain('baton status web');
  });

  it('answers approve with exit 4 when nothing waits for approval', async () => {
    // Arrange
    await simulation();

    // Act
    const result = await baton('approve', 'web');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe('baton: nothing of web is waiting for approval\n');
  });

  it('shows which app-config keys a deployment changed, then rolls back to the release before it exactly', async () => {
    // Arrange
    await simulation();
    expect((await baton('deploy', 'web', '--tag', 'v1.4.2', '--watch', '--interval', '1')).code).toBe(0);

    // Act / Assert: the status names the keys that changed (never their values)
    const status = await baton('status', 'web');
    expect(status.out).toContain(
      '    app config 20261101-0000-4000-8000-000000000001 -> 20261120-0000-4000-8000-000000000001: added [], removed [], changed [DATABASE_URL, SESSION_SECRET, WORKER_CONCURRENCY]',
    );

    // Act / Assert: rollback without --to goes to the release that was live before (web:7, v1.4.1)
    const rolledBack = await baton('rollback', 'web', '--watch', '--interval', '1');
    expect(rolledBack.code).toBe(0);
    const after = await baton('status', 'web', '--json');
    const view = JSON.parse(after.out) as { last: { status: string; restores: string; newTaskDefinitionArn: string } };
    expect(view.last).toMatchObject({
      status: 'SUCCEEDED',
      restores: 'web-v1_4_1-20261101T090000Z',
      newTaskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
    });
    expect((await baton('status', 'web')).out).toContain('    restored the release of web-v1_4_1-20261101T090000Z');
  });

  it('has no earlier release to roll back to on a fresh account (exit 3)', async () => {
    // Arrange
    await simulation({ ...exampleAccount(), deploymentTable: [] });

    // Act
    const result = await baton('rollback', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toContain('web has nothing to roll back to: no deployment of it succeeded yet.\n');
  });

  it('prints the dry-run plan and changes nothing, without --watch', async () => {
    // Arrange
    const sim = await simulation();
    const before = structuredClone([...sim.simulation.model.table.values()]);

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--dry-run', '--interval', '1');

    // Assert
    expect(result.code).toBe(0);
    const image = (digest: string) => `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${digest}`;
    const console = 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/';
    const version = (n: number) => `2026${n === 1 ? '1101' : '1120'}-0000-4000-8000-000000000001`;
    expect(result.out).toBe(
      [
        'Started web-v1_4_2-20261123T090000Z-dry-run',
        `  ${console}arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z-dry-run`,
        'Dry run of web passed: nothing changed',
        `  blue -> green, ${image(LIVE_DIGEST)} -> ${image(NEW_DIGEST)}`,
        `    container web image: ${image(LIVE_DIGEST)} -> ${image(NEW_DIGEST)}`,
        `    secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version ${version(2)} of ${SECRET_ARN}`,
        `    app config ${version(1)} -> ${version(2)}: added [], removed [], changed [DATABASE_URL, SESSION_SECRET, WORKER_CONCURRENCY]`,
        '    traffic 100 %, bake 300 s',
        '',
      ].join('\n'),
    );
    expect([...sim.simulation.model.table.values()]).toEqual(before);
  });

  it('prints the dry-run plan as one JSON document with --dry-run --watch --json', async () => {
    // Arrange
    await simulation();

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v1.4.2', '--dry-run', '--watch', '--json', '--interval', '1');

    // Assert
    expect(result.code).toBe(0);
    const view = JSON.parse(result.out) as Record<string, unknown>;
    expect(view).toMatchObject({ status: 'SUCCEEDED', error: null, cause: null });
    expect(view.plan).toMatchObject({
      service: 'web',
      liveColour: 'blue',
      targetColour: 'green',
      traffic: [{ weight: 100, pauseSeconds: 0 }],
      bakeSeconds: 300,
    });
  });

  it('prints the refusal of a dry run naming what is wrong, and exits 1', async () => {
    // Arrange
    await simulation();

    // Act
    const result = await baton('deploy', 'web', '--tag', 'v9.9.9', '--dry-run', '--interval', '1');

    // Assert
    expect(result.code).toBe(1);
    expect(result.out.split('\n').slice(2)).toEqual([
      'Dry run of web refused: ImageNotFoundError: image tag v9.9.9 not found in ECR repository web',
      '',
    ]);
  });
});

describe('who may approve', () => {
  /** Alice deploys web with approval; resolves when it waits, with the record as the table holds it. */
  async function waitingDeployment(sim: OpenSimulation): Promise<Record<string, unknown>> {
    expect((await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval')).code).toBe(0);
    await until(() => waitingForApproval(sim));
    return [...sim.simulation.model.table.values()].find((item) => item.awaitingApproval === true) ?? {};
  }

  it("refuses the requester's own baton approve (exit 4): nothing is sent, the deployment still waits for another operator", async () => {
    // Arrange
    const sim = await simulation();
    const waiting = await waitingDeployment(sim);

    // Act
    const refused = await baton('approve', 'web');

    // Assert
    expect(refused.code).toBe(4);
    expect(refused.out).toBe('');
    expect(refused.err).toBe(
      `baton: ${String(waiting.deploymentId)} was requested by ${ALICE}, and you are ${ALICE}: the approver must be someone else.\n` +
        'Ask another operator to run "baton approve web", or reject it yourself: baton reject web --reason <why>\n',
    );
    expect(sim.simulation.apis.calls.filter((call) => call.operation === 'SendTaskSuccess')).toEqual([]);
    const shown = JSON.parse((await baton('status', 'web', '--json')).out) as unknown;
    expect(shown).toMatchObject({ running: { status: 'RUNNING', currentState: 'Wait for approval' } });
    expect(sim.simulation.model.table.get(`DEPLOYMENT#${String(waiting.deploymentId)}|RECORD`)).toMatchObject({
      awaitingApproval: true,
      requestedBy: ALICE_ARN,
    });
  });

  it('rolls back an approval sent by hand (SendTaskSuccess) that names the requester, and says why', async () => {
    // Arrange: alice answers her own deployment's task token herself, naming herself as shown.
    const sim = await simulation();
    const waiting = await waitingDeployment(sim);
    await new SFNClient({ region: 'eu-west-1' }).send(
      new SendTaskSuccessCommand({ taskToken: String(waiting.approvalToken), output: JSON.stringify({ approvedBy: ALICE }) }),
    );

    // Act
    const watched = await baton('watch', 'web', '--interval', '1');

    // Assert
    const reason = `ApprovalRefusedError: approved by ${ALICE}, who requested ${String(waiting.deploymentId)}: the approver must be someone else (allowSelfApproval is off for web); deploy again and ask another operator to run "baton approve web"`;
    expect(watched.code).toBe(1);
    expect(watched.out).toContain(`ROLLED_BACK: ${reason}`);
    expect(sim.simulation.model.table.get(`DEPLOYMENT#${String(waiting.deploymentId)}|RECORD`)).toMatchObject({
      status: 'ROLLED_BACK',
      outcomeReason: reason,
      requestedBy: ALICE_ARN,
    });
    expect(sim.simulation.model.table.get(`DEPLOYMENT#${String(waiting.deploymentId)}|RECORD`)).not.toHaveProperty('approvedBy');
    const forward = sim.simulation.model.listeners[exampleConfig().services[0]?.productionListenerArn ?? '']?.forward ?? {};
    expect(Object.values(forward)).toEqual([100, 0]);
    expect(sim.simulation.model.notifications.at(-1)?.message).toContain(`reason: ${reason}`);
  });
});

describe('baton usage errors', () => {
  it.each([
    [['deploy', 'web'], 'deploy: give --tag <tag> or --digest <sha256:...>'],
    [['deploy', 'web', '--tag', 'v1', '--digest', NEW_DIGEST], '--digest: give imageTag or imageDigest, not both'],
    [['deploy', 'web', '--digest', 'sha256:abc'], '--digest: expected "sha256:" followed by 64 lowercase hex digits'],
    [['deploy', 'web', '--tag', 'v1', '--strategy', 'canary:150:60'], '--strategy: percent: Too big: expected number to be <=99'],
    [['history', 'web', '--tag', 'v1'], 'history does not take --tag'],
    [['deploy', 'web', '--tagg', 'v1'], "Unknown option '--tagg'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('baton %j exits 2 naming the problem', async (args, message) => {
    // Act
    const result = await baton(...args);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('names a service that is not in the config (exit 3)', async () => {
    // Act
    const result = await baton('status', 'billing');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe('baton: service "billing" is not in the config (known: web)\n');
  });

  it('shows help for every command with examples', async () => {
    for (const command of ['deploy', 'status', 'watch', 'approve', 'reject', 'abort', 'rollback', 'unlock', 'history']) {
      const result = await baton(command, '--help');
      expect(result.code).toBe(0);
      expect(result.out).toContain(`baton ${command}`);
      expect(result.out).toContain('Example');
    }
  });
});

const FAILED_ID = 'web-v1_4_2-20261123T090000Z';
const FAILED_ARN = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${FAILED_ID}`;

/** The example account with web locked by a deployment whose execution is gone and whose record says `status`. */
function lockedAccount(status: string) {
  const account = exampleAccount();
  const lock = { pk: 'LOCK#web', sk: 'LOCK', service: 'web', deploymentId: FAILED_ID, executionArn: FAILED_ARN, imageRef: 'tag:v1.4.2' };
  const record = {
    pk: `DEPLOYMENT#${FAILED_ID}`,
    sk: 'RECORD',
    gsi1pk: 'SERVICE#web',
    gsi1sk: `2026-11-23T09:00:00.000Z#${FAILED_ID}`,
    deploymentId: FAILED_ID,
    service: 'web',
    status,
    executionArn: FAILED_ARN,
    startedAt: '2026-11-23T09:00:00.000Z',
    trigger: 'cli',
  };
  return {
    ...account,
    deploymentTable: [...account.deploymentTable, { ...lock, acquiredAt: '2026-11-23T09:00:00.000Z', leaseExpiresAt: 0 }, record],
  };
}

describe('baton unlock', () => {
  it('releases the lock of a ROLLBACK_FAILED deployment and records who, when and why', async () => {
    // Arrange
    const sim = await simulation(lockedAccount('ROLLBACK_FAILED'));

    // Act
    const result = await baton('unlock', 'web', '--reason', 'weights set back to blue by hand', '--json');

    // Assert
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.out) as { resolvedAt: string };
    expect(printed).toEqual({
      unlocked: 'web',
      deploymentId: FAILED_ID,
      status: 'ROLLBACK_FAILED',
      execution: 'DOES_NOT_EXIST',
      resolvedBy: ALICE_ARN,
      resolvedAt: printed.resolvedAt,
      resolution: 'weights set back to blue by hand',
    });
    expect(sim.simulation.model.table.get('LOCK#web|LOCK')).toBeUndefined();
    expect(sim.simulation.model.table.get(`DEPLOYMENT#${FAILED_ID}|RECORD`)).toMatchObject({
      status: 'ROLLBACK_FAILED',
      resolvedBy: ALICE_ARN,
      resolvedAt: printed.resolvedAt,
      resolution: 'weights set back to blue by hand',
    });
  });

  it('says what it did in words', async () => {
    // Arrange
    await simulation(lockedAccount('ROLLBACK_FAILED'));

    // Act
    const result = await baton('unlock', 'web', '--reason', 'fixed');

    // Assert
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[0]).toBe(`Unlocked web: released the lock of deployment ${FAILED_ID} (ROLLBACK_FAILED, execution DOES_NOT_EXIST).`);
    expect(lines[1]).toMatch(new RegExp(`^Recorded on ${FAILED_ID}: resolved by ${ALICE} at \\S+Z: fixed$`));
    expect(lines[2]).toBe('The next deployment of web starts from the listener weights as they are now.');
  });

  it('refuses while the holder runs (exit 4) and leaves its lock', async () => {
    // Arrange
    const sim = await simulation();
    await baton('deploy', 'web', '--tag', 'v1.4.2', '--approval');
    await until(() => waitingForApproval(sim));
    const lock = sim.simulation.model.table.get('LOCK#web|LOCK');

    // Act
    const result = await baton('unlock', 'web', '--reason', 'impatient');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: deployment ${String(lock?.deploymentId)} holds the lock of web and its execution is RUNNING; stop it first with "baton abort web"\n`,
    );
    expect(sim.simulation.model.table.get('LOCK#web|LOCK')).toEqual(lock);
  });

  it('refuses a dead holder whose record is still open (the backstop closes it), exit 4', async () => {
    // Arrange
    const sim = await simulation(lockedAccount('IN_PROGRESS'));

    // Act
    const result = await baton('unlock', 'web', '--reason', 'x');

    // Assert
    expect(result.code).toBe(4);
    expect(result.err).toBe(
      `baton: deployment ${FAILED_ID} ended DOES_NOT_EXIST with its record still IN_PROGRESS; the backstop closes it and frees the lock (see "baton history web")\n`,
    );
    expect(sim.simulation.model.table.get('LOCK#web|LOCK')?.deploymentId).toBe(FAILED_ID);
  });

  it('asks for --reason (exit 2) and says when nothing is locked (exit 3)', async () => {
    // Arrange
    await simulation();

    // Act
    const noReason = await baton('unlock', 'web');
    const notLocked = await baton('unlock', 'web', '--reason', 'x');

    // Assert
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('unlock: --reason: say what was done to resolve the failed deployment');
    expect(notLocked.code).toBe(3);
    expect(notLocked.err).toBe('baton: web is not locked\n');
  });
});
