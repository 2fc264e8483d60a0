/** `npm run simulate`, run in process through runCli with its output captured. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountSchema } from '../../sim/account/schema.ts';
import { FAULTS } from '../../sim/faults/index.ts';
import { secretValues } from '../../sim/invariants.ts';
import { ROOT, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { exampleAccount, simulateCli } from '../support/simulation.ts';

const cli = simulateCli;

function lastLine(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

const temp = () => mkdtempSync(join(tmpdir(), 'baton-sim-'));

const RELEASE_INPUT_PATH = join(ROOT, 'examples', 'three-services', 'release.json');
/** The three-service example and its release of api, worker and web. */
const RELEASE_ARGS = ['--config', THREE_SERVICES_CONFIG_PATH, '--account', THREE_SERVICES_ACCOUNT_PATH, '--input-file', RELEASE_INPUT_PATH];

describe('npm run simulate', () => {
  it('deploys the example service and prints one line per phase and a summary', async () => {
    // Act
    const { code, out } = await cli([]);

    // Assert
    expect(code).toBe(0);
    expect(out).toContain('  00:00  Initialize                        ok\n');
    expect(out).toContain('  00:45  Shift traffic                     ok\n');
    expect(out).toContain('Traffic: blue 0 % / green 100 %\n');
    expect(out).toContain('Record: SUCCEEDED: v1.4.2 live on green (web-green) after a 300 s bake\n');
    expect(out).toContain('Invariants: all hold\n');
  });

  it('prints the plan of a dry run, and the record says none was written', async () => {
    // Act
    const { code, out } = await cli([
      '--input',
      '{"service":"web","imageTag":"v1.4.2","strategy":{"type":"canary","percent":10,"bakeSeconds":120},"dryRun":true}',
    ]);

    // Assert
    expect(code).toBe(0);
    expect(out).toContain('\nDry run of web passed: nothing changed\n  blue -> green, ');
    expect(out).toContain('\n    traffic 10 % -> 100 %, bake 300 s\nTraffic: blue 100 % / green 0 %\nRecord: none (dry run)\n');
  });

  it.each(['--report', '--events', '--state-out'])(
    'refuses %s into a folder that does not exist before it runs (exit 2)',
    async (option) => {
      // Act
      const { code, out, err } = await cli([option, '/nonexistent-baton-folder/out.txt']);

      // Assert
      expect(code).toBe(2);
      expect(out).toBe('');
      expect(err).toContain(`${option}: folder /nonexistent-baton-folder does not exist\n`);
    },
  );

  it('puts the plan of a dry run in the JSON summary', async () => {
    // Act
    const { code, out } = await cli(['--input', '{"service":"web","imageTag":"v1.4.2","dryRun":true}', '--json']);

    // Assert
    expect(code).toBe(0);
    const summary = JSON.parse(lastLine(out)) as Record<string, unknown>;
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      record: null,
      plan: { service: 'web', traffic: [{ weight: 100, pauseSeconds: 0 }] },
    });
  });

  it('prints a single JSON summary on the last line with --json', async () => {
    // Act
    const { code, out } = await cli(['--json']);

    // Assert
    expect(code).toBe(0);
    const summary = JSON.parse(lastLine(out)) as Record<string, unknown>;
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      input: { service: 'web', imageTag: 'v1.4.2' },
      transitions: 23,
      simulatedSeconds: 645.25,
      traffic: { blue: 0, green: 100 },
      liveColor: 'green',
      record: { status: 'SUCCEEDED', reason: 'v1.4.2 live on green (web-green) after a 300 s bake' },
      invariantsBroken: [],
    });
    expect((summary.executionPath as string[])[0]).toBe('Receive request');
    expect(typeof summary.wallMs).toBe('number');
  });

  it('exits 0 for a correct rollback and names the cause', async () => {
    // Act
    const { code, out } = await cli(['--fault', 'alarm-during-bake', '--json']);

    // Assert
    expect(code).toBe(0);
    expect(JSON.parse(lastLine(out))).toMatchObject({
      status: 'FAILED',
      error: 'GateFailedError',
      liveColor: 'blue',
      record: { status: 'ROLLED_BACK' },
    });
  });

  it('says when a status-change event was lost and what the backstop sweep did about it', async () => {
    // Act
    const { code, out } = await cli(['--fault', 'status-event-lost']);

    // Assert
    expect(code).toBe(0);
    expect(out).toContain('Record: ROLLED_BACK: ExecutionAborted: execution deploy-1 ended ABORTED (States.Aborted: Execution aborted)\n');
    expect(out).toContain('Status-change event of deploy-1 lost: the backstop never heard of its end\n');
    expect(out).toContain(
      'Backstop sweep: [{"service":"web","action":"ended","holder":"deploy-1","status":"ABORTED","result":{"action":"recovery-started","execution":"deploy-1-recovery-1"}}]\n',
    );
    expect(out).toContain('Traffic: blue 100 % / green 0 %\n');
  });

  it('writes an event log and output that contain no secret value of the account file', async () => {
    // Arrange
    const dir = temp();
    const events = join(dir, 'events.jsonl');

    // Act
    const { code, out } = await cli(['--fault', 'secret-malformed', '--events', events]);

    // Assert
    expect(code).toBe(0);
    const log = readFileSync(events, 'utf8');
    const first = JSON.parse(log.split('\n')[0] ?? '{}') as { type?: string };
    expect(first.type).toBe('ExecutionStarted');
    for (const value of secretValues(exampleAccount())) {
      expect(log).not.toContain(value);
      expect(out).not.toContain(value);
    }
  });

  it('writes the final account state in the account file format, so runs can be chained', async () => {
    // Arrange
    const dir = temp();
    const state = join(dir, 'state.json');
    await cli(['--state-out', state, '--json']);

    // Act: the next run rolls back to the release that was live before, from green to blue.
    const { code, out } = await cli([
      '--account',
      state,
      '--input',
      '{"service":"web","rollbackTo":"web-v1_4_1-20261101T090000Z","hotfix":true}',
      '--json',
    ]);

    // Assert
    expect(AccountSchema.safeParse(JSON.parse(readFileSync(state, 'utf8'))).success).toBe(true);
    expect(code).toBe(0);
    expect(JSON.parse(lastLine(out))).toMatchObject({ status: 'SUCCEEDED', traffic: { blue: 100, green: 0 }, liveColor: 'blue' });
  });

  it('rejects an unknown fault with exit code 2, naming the option', async () => {
    // Act
    const { code, err } = await cli(['--fault', 'disk-full']);

    // Assert
    expect(code).toBe(2);
    expect(err).toContain('--fault: unknown fault "disk-full"');
  });

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'rejects the fault name %s, a property every object has, with exit code 2 and runs nothing',
    async (name) => {
      // Act
      const { code, err, out } = await cli(['--fault', name]);

      // Assert
      expect(code).toBe(2);
      expect(err).toContain(`--fault: unknown fault "${name}"`);
      expect(out).toBe('');
    },
  );

  it.each([
    ['Is it a recovery?', 'Choice'],
    ['Deployment succeeded', 'Succeed'],
  ])('refuses --abort-at "%s", a %s state it cannot stop in, with exit code 2, running nothing', async (state, type) => {
    // Act
    const { code, err, out } = await cli(['--abort-at', state]);

    // Assert
    expect(code).toBe(2);
    expect(err).toContain(`--abort-at: "${state}" is a ${type} state, which the simulation cannot stop in; name a Task or Wait state (`);
    expect(out).toBe('');
  });

  it('rejects input that is not JSON with exit code 2', async () => {
    // Act
    const { code, err } = await cli(['--input', '{service: web}']);

    // Assert
    expect(code).toBe(2);
    expect(err).toContain('--input: not valid JSON');
  });

  it('rejects an account file with a bad field, naming it', async () => {
    // Arrange
    const dir = temp();
    const bad = join(dir, 'account.json');
    const account = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'sim', 'accounts', 'example.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(bad, JSON.stringify({ ...account, account: '12345' }));

    // Act
    const { code, err } = await cli(['--account', bad]);

    // Assert
    expect(code).toBe(2);
    expect(err).toContain(`--account ${bad}:\n  - account: `);
  });

  it('runs the handlers from source with --from-source, to the same outcome as the bundles', async () => {
    // Act
    const fromSource = await cli(['--from-source', '--json']);
    const fromBundles = await cli(['--json']);

    // Assert
    const summary = (out: string) => {
      const { status, executionPath, traffic } = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      return { status, executionPath, traffic };
    };
    expect(fromSource.code).toBe(0);
    expect(summary(fromSource.out)).toEqual(summary(fromBundles.out));
    expect(summary(fromSource.out).status).toBe('SUCCEEDED');
  });

  it('lists every fault with its expected outcome', async () => {
    // Act
    const { code, out } = await cli(['--list-faults']);

    // Assert
    expect(code).toBe(0);
    // Every named fault, and IAM drift (deny:<action>[@<function>]).
    expect(out.split('\n').filter(Boolean)).toHaveLength(Object.keys(FAULTS).length + 1);
    expect(out).toContain('deny:<action>[@<function>]     ROLLED_BACK');
    expect(out).toContain('green-tasks-crash              ROLLED_BACK');
  });

  describe('a release of the three-service example', () => {
    it('deploys api, then web and worker, printing per-service phases and a line per service', async () => {
      // Act
      const { code, out } = await cli(RELEASE_ARGS);

      // Assert
      expect(code).toBe(0);
      const lines = out.split('\n');
      expect(out).toMatch(/^Execution SUCCEEDED after 11:30 simulated \(\d+ ms wall, \d+ transitions\)$/m);
      expect(lines).toContain('  00:00  api · Prepare task definition               ok');
      expect(lines).toContain('  00:45  worker · Prepare task definition            ok');
      expect(lines).toContain('Order: api -> web + worker');
      expect(lines).toContain('  api        blue 0 % / green 100 %   SUCCEEDED');
      expect(lines).toContain('  worker     blue 0 % / green 100 %   SUCCEEDED');
      expect(lines).toContain('  web        blue 0 % / green 100 %   SUCCEEDED');
      expect(lines).toContain('Release record: SUCCEEDED: release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0');
      expect(lines).toContain('Invariants: all hold');
      expect(out).not.toContain('Traffic: ');
    });

    it('rolls every service back, last wave first, when --fault green-unhealthy@worker fails worker', async () => {
      // Act
      const { code, out } = await cli([...RELEASE_ARGS, '--fault', 'green-unhealthy@worker', '--json']);

      // Assert
      expect(code).toBe(0);
      const summary = JSON.parse(lastLine(out)) as Record<string, unknown>;
      expect(summary).toMatchObject({
        status: 'FAILED',
        error: 'DeploymentFailedError',
        release: {
          status: 'ROLLED_BACK',
          waves: [['api'], ['web', 'worker']],
          rolledBack: ['worker', 'web', 'api'],
          untouched: [],
          cause: { service: 'worker', error: 'DeploymentFailedError' },
          services: {
            api: { status: 'ROLLED_BACK', traffic: { blue: 100, green: 0 } },
            worker: { status: 'ROLLED_BACK', traffic: { blue: 100, green: 0 } },
            web: { status: 'ROLLED_BACK', traffic: { blue: 100, green: 0 } },
          },
        },
        record: { status: 'ROLLED_BACK' },
        invariantsBroken: [],
      });
      expect(Object.keys((summary.release as { services: object }).services)).toEqual(['api', 'worker', 'web']);
      expect(summary).not.toHaveProperty('traffic');
      expect(summary).not.toHaveProperty('liveColor');
    });

    it('refuses a fault aimed at no service with exit code 2, suggesting one of the release', async () => {
      // Act
      const { code, out, err } = await cli([...RELEASE_ARGS, '--fault', 'green-unhealthy']);

      // Assert
      expect(code).toBe(2);
      expect(err).toContain('--fault green-unhealthy: a release deploys several services; aim the fault at one: green-unhealthy@api\n');
      expect(out).toBe('');
    });

    it('refuses a fault aimed at a service the config does not have with exit code 2, naming the services', async () => {
      // Act
      const { code, out, err } = await cli([...RELEASE_ARGS, '--fault', 'green-unhealthy@nosuch']);

      // Assert
      expect(code).toBe(2);
      expect(err).toContain(
        `--fault green-unhealthy@nosuch: "nosuch" is not a service of ${THREE_SERVICES_CONFIG_PATH} (services: api, worker, web)\n`,
      );
      expect(out).toBe('');
    });

    it('refuses an unknown fault aimed at a service with exit code 2', async () => {
      // Act
      const { code, out, err } = await cli([...RELEASE_ARGS, '--fault', 'nosuch@worker']);

      // Assert
      expect(code).toBe(2);
      expect(err).toContain('--fault: unknown fault "nosuch@worker" (known: ');
      expect(err).toContain('; aim one at a service with name@service)');
      expect(out).toBe('');
    });
  });
});
