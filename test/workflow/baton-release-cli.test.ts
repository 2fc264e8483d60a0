/**
 * `baton release` end to end against the simulation of the three-service
 * example: the CLI reads a release file, starts the release on the simulated
 * state machine and follows it (--watch) to its verdict.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import type { CommandName } from '../../lib/constructs/operator-policy.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { type OpenSimulation, openSimulation } from '../../sim/harness.ts';
import { grantsOf, type Run, releaseFiles, runCli } from '../support/cli.ts';
import { THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';

const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
const RELEASE = {
  release: '2026-11-22.1',
  services: { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } },
};
/** The simulated clock stands at its start (2026-11-23T09:00:00Z) when the CLI names the execution. */
const RELEASE_ID = 'release-2026-11-22_1-20261123T090000Z';
const releaseFile = releaseFiles('baton-release-cli-').write;
let open: OpenSimulation | undefined;

afterEach(async () => {
  // The backstop of a failed execution may still be running when the CLI returns.
  await open?.simulation.settle();
  open?.close();
  open = undefined;
});

/** The three-service account, with faults aimed at one service each (`name@service`). */
async function simulation(faults: string[] = []): Promise<OpenSimulation> {
  const account = AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));
  open = await openSimulation({ config, account, input: {}, faults });
  return open;
}

function baton(...args: string[]): Promise<Run> {
  return runCli(THREE_SERVICES_CONFIG_PATH, args, { pause: true, as: 'operator' });
}

/** Baton as an operator whose role allows only what `command` needs. */
function batonWithOnly(command: CommandName, ...args: string[]): Promise<Run> {
  return runCli(THREE_SERVICES_CONFIG_PATH, args, { pause: true, as: grantsOf(command, config) });
}

function item(sim: OpenSimulation, key: string): Record<string, unknown> | undefined {
  return sim.simulation.model.table.get(`${key}|RECORD`);
}

describe('baton release against the simulation', () => {
  it('releases api, then web and worker, and exits 0 with the verdict of the release record', async () => {
    // Arrange
    const sim = await simulation();
    const file = releaseFile(RELEASE);

    // Act
    const result = await baton('release', '--file', file, '--watch', '--interval', '1');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [
        'Started release 2026-11-22.1',
        `  execution  ${RELEASE_ID}`,
        '  order      api -> web + worker',
        '  shift      each',
        `  https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`,
      ].join('\n'),
    );
    expect(result.out).toMatch(/^ {2}api {5}SUCCEEDED {4}\d+m\d\ds {2}v1\.1\.0 live on /m);
    expect(result.out).toMatch(/^ {2}web {5}SUCCEEDED {4}\d+m\d\ds {2}v1\.4\.2 live on /m);
    expect(result.out).toMatch(/^ {2}worker {2}SUCCEEDED {4}\d+m\d\ds {2}v2\.4\.0 live on /m);
    expect(result.out).toMatch(/^Release 2026-11-22\.1 ended: execution SUCCEEDED after \d+m\d\ds$/m);
    expect(result.out.endsWith('SUCCEEDED: release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0\n')).toBe(true);
    expect(item(sim, `RELEASE#${RELEASE_ID}`)).toMatchObject({
      status: 'SUCCEEDED',
      release: '2026-11-22.1',
      trigger: 'cli',
      requestedBy: 'arn:aws:sts::123456789012:assumed-role/Deployer/alice',
      shift: 'each',
      waves: [['api'], ['web', 'worker']],
    });
    for (const service of ['api', 'web', 'worker']) {
      expect(item(sim, `DEPLOYMENT#${RELEASE_ID}-${service}`)).toMatchObject({ status: 'SUCCEEDED', release: RELEASE_ID, trigger: 'cli' });
    }
  });

  it('with --dry-run prints the order and each service plan, exits 0 and writes nothing', async () => {
    // Arrange
    const sim = await simulation();

    // Act
    const result = await baton('release', '--file', releaseFile(RELEASE), '--dry-run', '--interval', '1');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('Started a dry run of release 2026-11-22.1\n');
    expect(result.out).toContain(
      ['Dry run of release 2026-11-22.1 passed: every service validated, nothing changed', '  order  api -> web + worker'].join('\n'),
    );
    expect(result.out).toMatch(/^ {2}api: blue -> green, \S+\/api@sha256:[0-9a-f]{64} -> \S+\/api@sha256:[0-9a-f]{64}$/m);
    expect(result.out).toMatch(/^ {4}traffic 100 %, bake 300 s$/m);
    expect([...sim.simulation.model.table.keys()].filter((key) => key.includes(RELEASE_ID))).toEqual([]);
  });

  it('prints NDJSON with --watch --json: a line per service status change, the end last with the records', async () => {
    // Arrange
    await simulation();
    const file = releaseFile({ ...RELEASE, services: { api: { imageTag: 'v1.1.0' } } });

    // Act
    const result = await baton('release', '--file', file, '--watch', '--json', '--interval', '1');

    // Assert
    expect(result.code).toBe(0);
    const lines = result.out
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.slice(0, -1)).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'service', service: 'api', status: 'SUCCEEDED', wave: 1 })]),
    );
    expect(lines.at(-1)).toMatchObject({
      type: 'end',
      execution: 'SUCCEEDED',
      release: '2026-11-22.1',
      releaseId: RELEASE_ID,
      order: 'api',
      status: 'SUCCEEDED',
      record: { status: 'SUCCEEDED', waves: [['api']] },
      services: { api: { status: 'SUCCEEDED', deploymentId: `${RELEASE_ID}-api` } },
    });
  });

  it("rolls every service back, last wave first, when web's alarm fires during the bake, and exits 1", async () => {
    // Arrange: web's own alarm fires once the services bake at 100 %.
    const sim = await simulation(['alarm-during-bake@web']);
    const file = releaseFile(RELEASE);

    // Act
    const result = await baton('release', '--file', file, '--watch', '--interval', '1');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(1);
    const record = item(sim, `RELEASE#${RELEASE_ID}`);
    expect(record).toMatchObject({
      status: 'ROLLED_BACK',
      cause: { service: 'web', deploymentId: `${RELEASE_ID}-web`, error: 'GateFailedError' },
      rolledBack: ['worker', 'web', 'api'],
      untouched: [],
    });
    const cause = record?.cause as { failedPhase?: string; message: string };
    expect(cause.failedPhase).toMatch(/^Check bake/);
    expect(cause.message).toContain('web-5xx-rate');
    expect(result.out).toMatch(/^Release 2026-11-22\.1 ended: execution FAILED after \d+m\d\ds$/m);
    expect(
      result.out.endsWith(
        [
          `ROLLED_BACK: ${String(record?.outcomeReason)}`,
          `  cause        web failed in ${cause.failedPhase}: GateFailedError: ${cause.message}`,
          '  rolled back  worker -> web -> api',
          '  untouched    none',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
    expect(result.out).toContain('Rolling back worker -> web -> api (GateFailedError)\n');
    for (const service of ['api', 'web', 'worker']) {
      expect(result.out).toMatch(new RegExp(`^  ${service.padEnd(6)}  ROLLED_BACK  \\d+m\\d\\ds  \\S`, 'm'));
      expect(item(sim, `DEPLOYMENT#${RELEASE_ID}-${service}`)?.status).toBe('ROLLED_BACK');
    }
  });

  it('shows the order, each service and the verdict of a release with "baton status <execution-arn>"', async () => {
    // Arrange
    await simulation(['alarm-during-bake@web']);
    await baton('release', '--file', releaseFile(RELEASE), '--watch', '--interval', '1');
    const arn = `arn:aws:states:eu-west-1:123456789012:execution:baton-production:${RELEASE_ID}`;

    // Act
    const result = await baton('status', arn);

    // Assert
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      [
        'release 2026-11-22.1: api -> web + worker',
        `  api     ROLLED_BACK  ${RELEASE_ID}-api`,
        `  web     ROLLED_BACK  ${RELEASE_ID}-web`,
        `  worker  ROLLED_BACK  ${RELEASE_ID}-worker`,
        'ROLLED_BACK: release 2026-11-22.1 rolled back because web failed in Check bake (release): GateFailedError: ',
      ].join('\n'),
    );
    expect(result.out).toMatch(/^ {2}rolled back {2}worker -> web -> api$/m);
  });

  it('finds the release by its name and by its id ("baton release status"), and lists it ("baton release history")', async () => {
    // Arrange: each command with only its own grants (docs/cli.md, IAM for operators)
    await simulation();
    const file = releaseFile({ ...RELEASE, services: { api: { imageTag: 'v1.1.0' } } });
    const released = await batonWithOnly('release', 'release', '--file', file, '--watch', '--interval', '1');

    // Act
    const byName = await batonWithOnly('release status', 'release', 'status', '2026-11-22.1');
    const byId = await batonWithOnly('release status', 'release', 'status', RELEASE_ID);
    const unknown = await batonWithOnly('release status', 'release', 'status', '2026-11-22.9');
    const listed = await batonWithOnly('release history', 'release', 'history');

    // Assert
    expect(released.code).toBe(0);
    expect(byName.code).toBe(0);
    expect(byName.out).toContain(`release 2026-11-22.1: api\n  api     SUCCEEDED  ${RELEASE_ID}-api\nSUCCEEDED: `);
    expect(byId.out).toBe(byName.out);
    expect(unknown.code).toBe(3);
    expect(unknown.err).toContain('no release with id "2026-11-22.9", nor named so among the latest 500 releases');
    const [header, row, ...rest] = listed.out.trimEnd().split('\n');
    expect(header).toMatch(/^STARTED {19}RELEASE {7}ID {37}STATUS +TOOK {2}ORDER {2}REASON$/);
    expect(row).toMatch(
      new RegExp(`^2026-11-23T09:00:00\\.000Z  2026-11-22\\.1  ${RELEASE_ID}  SUCCEEDED +\\d+m\\d\\ds  api +release 2026-11-22\\.1 live`),
    );
    expect(rest).toEqual([]);
  });

  it('rolls api back and leaves web and worker untouched when api fails verify in the first wave, and exits 1', async () => {
    // Arrange
    const sim = await simulation(['alarm-at-verify@api']);
    const file = releaseFile(RELEASE);

    // Act
    const result = await baton('release', '--file', file, '--watch', '--interval', '1');

    // Assert
    expect(result.err).toBe('');
    expect(result.code).toBe(1);
    const record = item(sim, `RELEASE#${RELEASE_ID}`);
    expect(record).toMatchObject({
      status: 'ROLLED_BACK',
      cause: { service: 'api', deploymentId: `${RELEASE_ID}-api` },
      rolledBack: ['api'],
      untouched: ['worker', 'web'],
    });
    const cause = record?.cause as { failedPhase?: string; error: string; message: string };
    expect(
      result.out.endsWith(
        [
          `ROLLED_BACK: ${String(record?.outcomeReason)}`,
          `  cause        api failed in ${cause.failedPhase}: ${cause.error}: ${cause.message}`,
          '  rolled back  api',
          '  untouched    worker, web',
          '',
        ].join('\n'),
      ),
    ).toBe(true);
    expect(result.out).toMatch(/^ {2}api {5}ROLLED_BACK {2}\d+m\d\ds {2}\S/m);
    expect(result.out).toMatch(/^ {2}web {5}REJECTED {5}\d+m\d\ds {2}NotStarted: /m);
    expect(result.out).toMatch(/^ {2}worker {2}REJECTED {5}\d+m\d\ds {2}NotStarted: /m);
    expect(item(sim, `DEPLOYMENT#${RELEASE_ID}-web`)?.status).toBe('REJECTED');
    expect(item(sim, `DEPLOYMENT#${RELEASE_ID}-worker`)?.status).toBe('REJECTED');
  });

  it('refuses a release naming a service the config does not have, before starting anything (exit 2)', async () => {
    // Arrange
    const sim = await simulation();
    const file = releaseFile({ ...RELEASE, services: { ...RELEASE.services, billing: { imageTag: 'v1' } } });

    // Act
    const result = await baton('release', '--file', file);

    // Assert
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      `release file ${file}: invalid release input: services: "billing" is not configured (known: api, worker, web)`,
    );
    expect(sim.simulation.executions.size).toBe(0);
  });
});
