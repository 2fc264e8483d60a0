/**
 * Multi-service releases through the real state machine on the three-service
 * example (api; worker and web depend on it): the order of the waves, one
 * verdict, the joint rollback in reverse order, refusals that change
 * nothing, and two overlapping releases.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { runCli } from '../../sim/cli-main.ts';
import { DEFAULT_START } from '../../sim/clock.ts';
import type { SimulationContext } from '../../sim/context.ts';
import { openSimulation, type SimulationResult } from '../../sim/harness.ts';
import { checkInvariants } from '../../sim/invariants.ts';
import type { EventLog } from '../../sim/stepfunctions/execution.ts';
import { THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { run } from '../support/simulation.ts';

const config = loadConfig(THREE_SERVICES_CONFIG_PATH);
const account = () => AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));
const RELEASE = {
  release: '2026-11-22.1',
  services: { api: { imageTag: 'v1.1.0' }, worker: { imageTag: 'v2.4.0' }, web: { imageTag: 'v1.4.2' } },
};
const releaseRun = (options: { input?: unknown; faults?: string[]; abortAt?: string } = {}) =>
  run({ config, account: account(), input: options.input ?? RELEASE, ...options });

function traffic(result: SimulationResult): Record<string, string> {
  return Object.fromEntries(
    config.services.map((service) => {
      const forward = result.model.listeners[productionListenerOf(service)]?.forward ?? {};
      return [service.name, `blue ${forward[targetGroupOf(service.blue)] ?? 0} / green ${forward[targetGroupOf(service.green)] ?? 0}`];
    }),
  );
}

function item(result: SimulationResult, key: string): Record<string, unknown> | undefined {
  return result.model.table.get(`${key}|RECORD`);
}

/**
 * When (simulated seconds) each service entered a state of its release iteration, in event log order;
 * `atSameTime: 'by name'` orders services that entered at the same moment by name (parallel iterations
 * interleave in no particular order).
 */
function entered(result: SimulationResult, state: string, atSameTime?: 'by name'): Array<[string, number]> {
  const entries = result.main.events
    .filter((event: EventLog) => event.type === 'StateEntered' && event.state?.name === state)
    .map((event): [string, number] => [
      String((event.state?.input as { service?: { name?: unknown } } | undefined)?.service?.name),
      (event.timestamp - DEFAULT_START) / 1000,
    ]);
  return atSameTime ? entries.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])) : entries;
}

/** The ECS and ELB writes of the run, per service (by the cluster service or listener they changed). */
function writes(result: SimulationResult): string[] {
  return result.apis.calls
    .filter((call) => ['UpdateService', 'RegisterTaskDefinition', 'ModifyListener', 'ModifyRule'].includes(call.operation) && !call.error)
    .map((call) => {
      const input = call.input as { service?: string; family?: string; ListenerArn?: string };
      const listener = config.services.find(
        (s) => s.productionListenerArn === input.ListenerArn || s.testListenerArn === input.ListenerArn,
      );
      return `${call.operation} ${input.service ?? input.family ?? listener?.name ?? '?'}`;
    });
}

describe('a three-service release', () => {
  it('deploys api first, then worker and web side by side, and ends with all three on the new version', async () => {
    // Act
    const result = await releaseRun();

    // Assert: one verdict, all live.
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.output).toEqual({
      status: 'SUCCEEDED',
      error: 'None',
      cause: 'release 2026-11-22.1 live: api v1.1.0, web v1.4.2, worker v2.4.0',
    });
    expect(traffic(result)).toEqual({ api: 'blue 0 / green 100', worker: 'blue 0 / green 100', web: 'blue 0 / green 100' });
    // Dependencies first: web and worker start only once api passed verify and its smoke test, at the same moment.
    // (Each stage is 45 s of stability checks plus the transitions' and invokes' milliseconds: latency.ts.)
    expect(entered(result, 'Prepare task definition (release)', 'by name')).toEqual([
      ['api', 0.05],
      ['web', 45.2],
      ['worker', 45.2],
    ]);
    expect(entered(result, 'Service verified', 'by name')).toEqual([
      ['api', 45.2],
      ['web', 90.35],
      ['worker', 90.35],
    ]);
    // No production weight moves before every service is verified.
    expect(entered(result, 'Shift traffic (release)', 'by name')).toEqual([
      ['api', 90.35],
      ['web', 90.35],
      ['worker', 90.35],
    ]);
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
      status: 'SUCCEEDED',
      release: '2026-11-22.1',
      waves: [['api'], ['web', 'worker']],
      services: {
        api: { deploymentId: 'deploy-1-api', wave: 1, imageTag: 'v1.1.0' },
        web: { deploymentId: 'deploy-1-web', wave: 2, imageTag: 'v1.4.2' },
        worker: { deploymentId: 'deploy-1-worker', wave: 2, imageTag: 'v2.4.0' },
      },
    });
    for (const name of ['api', 'web', 'worker']) {
      expect(item(result, `DEPLOYMENT#deploy-1-${name}`)).toMatchObject({ status: 'SUCCEEDED', service: name, release: 'deploy-1' });
    }
    expect([...result.model.table.keys()].filter((key) => key.startsWith('LOCK#'))).toEqual([]);
    expect(result.simulatedSeconds).toBe(690.425);
  });

  it('with shift "together" moves every service to the same weight at the same moment, after all passed verify', async () => {
    // Act
    const result = await releaseRun({
      input: { ...RELEASE, shift: 'together', strategy: { type: 'canary', percent: 10, bakeSeconds: 120 } },
    });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    const steps = result.apis.calls
      .filter((call) => call.operation === 'ModifyListener' && call.state === 'Shift traffic together')
      .map((call) => {
        const input = call.input as {
          ListenerArn: string;
          DefaultActions: Array<{ ForwardConfig: { TargetGroups: Array<{ Weight: number }> } }>;
        };
        const service = config.services.find((s) => s.productionListenerArn === input.ListenerArn)?.name;
        const weights = input.DefaultActions[0]?.ForwardConfig.TargetGroups.map((group) => group.Weight);
        return `${(call.at - DEFAULT_START) / 1000}s ${service} ${weights?.join('/')}`;
      });
    // One invocation moves all three, in the release's deploy order.
    expect(steps).toEqual([
      '90.375s api 90/10',
      '90.375s web 90/10',
      '90.375s worker 90/10',
      '210.375s api 0/100',
      '210.375s web 0/100',
      '210.375s worker 0/100',
    ]);
    expect(traffic(result)).toEqual({ api: 'blue 0 / green 100', worker: 'blue 0 / green 100', web: 'blue 0 / green 100' });
  });
});

describe('a release with a service that asks for approval', () => {
  const approving = {
    ...config,
    services: config.services.map((service) => (service.name === 'web' ? { ...service, approval: true } : service)),
  };

  it.each([
    ['approve', 'SUCCEEDED', 'blue 0 / green 100', 750.45],
    ['reject', 'FAILED', 'blue 100 / green 0', 150.525],
  ] as const)('waits in its wave for the operator, who answers %s', async (approval, status, webTraffic, seconds) => {
    // Act
    const result = await run({ config: approving, account: account(), input: RELEASE, approval });

    // Assert
    expect(result.main.status).toBe(status);
    expect(entered(result, 'Wait for approval (release)')).toEqual([['web', 90.35]]);
    expect(traffic(result).web).toBe(webTraffic);
    expect(result.simulatedSeconds).toBe(seconds);
    if (approval === 'reject') {
      expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
        status: 'ROLLED_BACK',
        cause: { service: 'web', failedPhase: 'Wait for approval (release)', error: 'ApprovalRejected' },
      });
    }
  });

  it('rolls the release back when the requester approves it (shift together refuses before any weight moves)', async () => {
    // Act: the simulated operator answers as "simulation-operator", who requested the release.
    const input = { ...RELEASE, shift: 'together', requestedBy: 'simulation-operator' };
    const result = await run({ config: approving, account: account(), input, approval: 'approve' });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('ApprovalRefusedError');
    expect(traffic(result)).toEqual({ api: 'blue 100 / green 0', worker: 'blue 100 / green 0', web: 'blue 100 / green 0' });
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
      status: 'ROLLED_BACK',
      cause: {
        error: 'ApprovalRefusedError',
        message: expect.stringMatching(/^approved by simulation-operator, who requested deploy-1-web: /),
      },
    });
  });
});

describe('a release that fails', () => {
  it('at the last wave rolls back every changed service, last wave first, and names the cause', async () => {
    // Act
    const result = await releaseRun({ faults: ['green-unhealthy@worker'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('DeploymentFailedError');
    expect(entered(result, 'Roll back (release)').map(([name]) => name)).toEqual(['worker', 'web', 'api']);
    expect(traffic(result)).toEqual({ api: 'blue 100 / green 0', worker: 'blue 100 / green 0', web: 'blue 100 / green 0' });
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
      status: 'ROLLED_BACK',
      cause: {
        service: 'worker',
        deploymentId: 'deploy-1-worker',
        failedPhase: 'Check new colour stability (release)',
        error: 'DeploymentFailedError',
      },
      rolledBack: ['worker', 'web', 'api'],
      untouched: [],
    });
    expect(String(item(result, 'RELEASE#deploy-1')?.outcomeReason)).toMatch(
      /^release 2026-11-22\.1 rolled back because worker failed in Check new colour stability \(release\): DeploymentFailedError: ECS deployment circuit breaker fired for worker-green/,
    );
    expect(item(result, 'DEPLOYMENT#deploy-1-worker')).toMatchObject({
      status: 'ROLLED_BACK',
      failedPhase: 'Check new colour stability (release)',
    });
    for (const name of ['api', 'web']) {
      expect(String(item(result, `DEPLOYMENT#deploy-1-${name}`)?.outcomeReason)).toMatch(
        /^ReleaseRolledBack: release 2026-11-22\.1 rolled back together: worker failed in Check new colour stability \(release\): DeploymentFailedError/,
      );
    }
    // Each new colour is back at zero tasks.
    for (const service of config.services) {
      expect([service.name, result.model.service(service.cluster, service.green.serviceName)?.desiredCount]).toEqual([service.name, 0]);
    }
  });

  it('in the first wave leaves the services of the later waves untouched', async () => {
    // Act
    const result = await releaseRun({ faults: ['alarm-at-verify@api'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(entered(result, 'Roll back (release)').map(([name]) => name)).toEqual(['api']);
    expect(writes(result).filter((write) => /web|worker/.test(write))).toEqual([]);
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({ status: 'ROLLED_BACK', rolledBack: ['api'], untouched: ['worker', 'web'] });
    for (const name of ['web', 'worker']) {
      expect(item(result, `DEPLOYMENT#deploy-1-${name}`)?.status).toBe('REJECTED');
      expect(String(item(result, `DEPLOYMENT#deploy-1-${name}`)?.outcomeReason)).toMatch(
        /^NotStarted: release 2026-11-22\.1 stopped before this service started \(api failed in Verify new colour \(release\): VerificationFailedError/,
      );
    }
  });

  it('during the bake, after traffic moved, brings production back to blue for all three', async () => {
    // Act
    const result = await releaseRun({ faults: ['alarm-during-bake@api'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('GateFailedError');
    expect(entered(result, 'Roll back (release)').map(([name]) => name)).toEqual(['worker', 'web', 'api']);
    expect(traffic(result)).toEqual({ api: 'blue 100 / green 0', worker: 'blue 100 / green 0', web: 'blue 100 / green 0' });
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({ status: 'ROLLED_BACK', cause: { service: 'api', error: 'GateFailedError' } });
  });

  it('stopped in the middle is rolled back by a release recovery execution the backstop starts', async () => {
    // Act
    const result = await releaseRun({ abortAt: 'Check bake (release)' });

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(result.backstop[0]).toEqual({ execution: 'deploy-1', result: { action: 'recovery-started', execution: 'deploy-1-recovery-1' } });
    const recovery = result.others.find((execution) => execution.name === 'deploy-1-recovery-1');
    expect(recovery?.executionPath.slice(0, 4)).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Plan joint rollback',
      'Roll back services',
    ]);
    expect(traffic(result)).toEqual({ api: 'blue 100 / green 0', worker: 'blue 100 / green 0', web: 'blue 100 / green 0' });
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({ status: 'ROLLED_BACK', cause: { error: 'ExecutionAborted' } });
  });
});

describe('a release recovery input started by hand (issue 14, item 5)', () => {
  it('leaves a healthy running release untouched and ends with its own REJECTED record', async () => {
    // Arrange: {"recoverRelease": "deploy-1"} is started from the console while the release deploys.
    const setup = (ctx: SimulationContext) =>
      ctx.triggers.push({ afterState: 'Deploy new colour (release)', suffix: 'console', input: { recoverRelease: 'deploy-1' } });

    // Act
    const result = await run({ config, account: account(), input: RELEASE, setup });

    // Assert
    const console = result.others.find((execution) => execution.name === 'deploy-1-console');
    expect(console?.status).toBe('FAILED');
    expect(console?.executionPath).toEqual(['Receive request', 'Is it a recovery?', 'Plan joint rollback']);
    expect(item(result, 'DEPLOYMENT#deploy-1-console')).toMatchObject({
      status: 'REJECTED',
      outcomeReason:
        'RecoveryRefusedError: invalid release recovery input: recoverRelease: release deploy-1 is still running (its execution is RUNNING); only a release whose execution ended is recovered, and nothing changed',
    });
    expect(result.backstop).toEqual([
      { execution: 'deploy-1-console', result: { action: 'none', reason: 'release deploy-1 is still running (RUNNING)' } },
      // The release's own end: nothing to close, nothing queued.
      { execution: 'deploy-1', result: { action: 'none', reason: 'status SUCCEEDED needs no backstop' } },
    ]);
    expect(result.main.status).toBe('SUCCEEDED');
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({ status: 'SUCCEEDED' });
    expect(traffic(result)).toEqual({ api: 'blue 0 / green 100', worker: 'blue 0 / green 100', web: 'blue 0 / green 100' });
  });
});

describe('a release dry run', () => {
  it('validates every service, prints the order and each plan, and writes nothing', async () => {
    // Act
    const result = await releaseRun({ input: { ...RELEASE, dryRun: true } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    const output = result.main.output as { release: string; waves: string[][]; plans: Array<{ service: string; targetColour: string }> };
    expect(output.release).toBe('2026-11-22.1');
    expect(output.waves).toEqual([['api'], ['web', 'worker']]);
    expect(output.plans.map((plan) => [plan.service, plan.targetColour])).toEqual([
      ['api', 'green'],
      ['web', 'green'],
      ['worker', 'green'],
    ]);
    expect(writes(result)).toEqual([]);
    expect(result.apis.calls.filter((call) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(call.operation))).toEqual([]);
  });

  it('refused by one service names it and writes nothing', async () => {
    // Act
    const result = await releaseRun({ input: { ...RELEASE, dryRun: true }, faults: ['image-missing@web'] });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('ImageNotFoundError');
    expect(result.main.cause).toBe(
      'release 2026-11-22.1 dry run refused: ImageNotFoundError: web failed in Validate (release): image tag v1.4.2 not found in ECR repository web',
    );
    expect(result.apis.calls.filter((call) => ['PutItem', 'UpdateItem', 'DeleteItem'].includes(call.operation))).toEqual([]);
  });
});

describe('a release stopped before any service changed', () => {
  it('is closed by the release recovery: every service untouched and REJECTED, every lock free', async () => {
    // Act
    const result = await releaseRun({ abortAt: 'Validate (release)' });

    // Assert
    expect(result.main.status).toBe('ABORTED');
    expect(writes(result)).toEqual([]);
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
      status: 'REJECTED',
      cause: { error: 'ExecutionAborted' },
      untouched: ['worker', 'web', 'api'],
    });
    expect(String(item(result, 'RELEASE#deploy-1')?.outcomeReason)).toMatch(
      /^release 2026-11-22\.1 stopped because ExecutionAborted: execution deploy-1 ended ABORTED.*; no service had changed; untouched: worker, web, api$/,
    );
    for (const name of ['api', 'web', 'worker']) expect(item(result, `DEPLOYMENT#deploy-1-${name}`)?.status).toBe('REJECTED');
  });
});

describe('a release refused before any change', () => {
  it('names the unknown services and changes nothing', async () => {
    // Act
    const result = await releaseRun({
      input: { release: 'r2', services: { api: { imageTag: 'v1.1.0' }, cron: { imageTag: 'v1' }, mailer: { imageTag: 'v1' } } },
    });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.error).toBe('UnknownServiceError');
    expect(result.main.cause).toBe(
      'release r2 rejected before any change: UnknownServiceError: invalid release input: services: "cron", "mailer" are not configured (known: api, worker, web)',
    );
    expect(writes(result)).toEqual([]);
    expect([...result.model.table.keys()].filter((key) => key.startsWith('LOCK#') || key.startsWith('DEPLOYMENT#deploy-1'))).toEqual([]);
    expect(item(result, 'RELEASE#deploy-1')?.status).toBe('REJECTED');
  });

  it('names the field of an invalid release input', async () => {
    // Act
    const result = await releaseRun({
      input: { release: 'r3', services: { api: { imageTag: 'v1.1.0', imageDigest: `sha256:${'a'.repeat(64)}` } } },
    });

    // Assert
    expect(result.main.error).toBe('InvalidInputError');
    expect(result.main.cause).toBe(
      'release r3 rejected before any change: InvalidInputError: invalid release input: services.api.imageDigest: give imageTag or imageDigest, not both',
    );
    expect(writes(result)).toEqual([]);
  });

  it('when one service fails validation: every service record REJECTED, every lock free, nothing written to ECS or ELB', async () => {
    // Act
    const result = await releaseRun({ faults: ['image-missing@web'] });

    // Assert
    expect(result.main.error).toBe('ImageNotFoundError');
    expect(writes(result)).toEqual([]);
    expect(item(result, 'RELEASE#deploy-1')).toMatchObject({
      status: 'REJECTED',
      cause: { service: 'web', failedPhase: 'Validate (release)', error: 'ImageNotFoundError' },
    });
    expect(item(result, 'DEPLOYMENT#deploy-1-web')).toMatchObject({
      status: 'REJECTED',
      outcomeReason: 'ImageNotFoundError: image tag v1.4.2 not found in ECR repository web',
    });
    expect(item(result, 'DEPLOYMENT#deploy-1-api')?.outcomeReason).toBe(
      'ReleaseRejected: release 2026-11-22.1 was rejected (web failed in Validate (release): ImageNotFoundError: image tag v1.4.2 not found in ECR repository web); nothing was changed',
    );
  });

  it('with shift "together" and different strategies, names the services and their strategies', async () => {
    // Arrange: web shifts by canary in this variant of the example.
    const canaryWeb = {
      ...config,
      services: config.services.map((service) =>
        service.name === 'web' ? { ...service, strategy: { type: 'canary' as const, percent: 10, bakeSeconds: 300 } } : service,
      ),
    };
    const start = account();

    // Act
    const result = await run({ config: canaryWeb, account: start, input: { ...RELEASE, shift: 'together' } });

    // Assert
    expect(result.main.cause).toBe(
      'release 2026-11-22.1 rejected before any change: InvalidInputError: invalid release input: strategy: shift "together" moves every service at the same steps, but api (all-at-once), web (canary 10 % for 300 s) have different strategies; give "strategy" in the release input',
    );
    expect(writes(result)).toEqual([]);
  });

  it('rejects a config whose dependsOn has a cycle before any execution, naming the services', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'baton-cycle-'));
    const cyclic = JSON.parse(readFileSync(THREE_SERVICES_CONFIG_PATH, 'utf8')) as {
      services: Array<{ name: string; dependsOn: string[] }>;
    };
    for (const service of cyclic.services) if (service.name === 'api') service.dependsOn = ['web'];
    writeFileSync(join(dir, 'baton.config.json'), JSON.stringify(cyclic));
    writeFileSync(join(dir, 'release.json'), JSON.stringify(RELEASE));
    let out = '';
    let err = '';

    // Act
    const code = await runCli(
      [
        '--config',
        join(dir, 'baton.config.json'),
        '--account',
        THREE_SERVICES_ACCOUNT_PATH,
        '--input-file',
        join(dir, 'release.json'),
        '--state-out',
        join(dir, 'after.json'),
      ],
      { out: (text) => (out += text), err: (text) => (err += text) },
    );

    // Assert
    expect(code).toBe(2);
    expect(err).toContain('services[0].dependsOn: dependency cycle: api -> web -> api; no order can deploy these services');
    expect(out).toBe('');
  });
});

describe('two overlapping releases started together', () => {
  it('let one proceed and refuse the other naming the holder; neither waits for the other', async () => {
    // Arrange
    const start = account();
    const open = await openSimulation({ config, account: start, input: {} });
    let result: SimulationResult | undefined;
    try {
      const { simulation } = open;

      // Act: both want web, the first service in name order they share: whichever takes it first proceeds.
      // Release b asks for web first (web < worker); release a asks for api first, so b gets there first.
      const first = simulation.startExecution('release-a', {
        release: 'a',
        services: { api: { imageTag: 'v1.1.0' }, web: { imageTag: 'v1.4.2' } },
      });
      const second = simulation.startExecution('release-b', {
        release: 'b',
        services: { web: { imageTag: 'v1.4.2' }, worker: { imageTag: 'v2.4.0' } },
      });
      await simulation.settle();
      result = {
        main: first,
        others: [second],
        simulatedSeconds: (Date.now() - DEFAULT_START) / 1000,
        wallMs: 0,
        model: simulation.model,
        apis: simulation.apis,
        logLines: open.logLines,
        webhook: open.webhook,
        promotions: open.promotions,
        initialListeners: {},
        initialScaling: {},
        scaling: {},
        backstop: simulation.delivery.backstop,
        lostStatusEvents: simulation.lostStatusEvents,
        sweeps: simulation.delivery.sweeps,
        iam: simulation.iam,
        functions: simulation.functions,
      };

      // Assert
      expect([first.status, second.status]).toEqual(['FAILED', 'SUCCEEDED']);
      expect(first.error).toBe('DeploymentLockedError');
      expect(first.cause).toBe(
        'release a rejected before any change: DeploymentLockedError: web is locked by deployment release-b-web of release release-b (image tag v1.4.2, since 2026-11-23T09:00:00.000Z, execution arn:aws:states:eu-west-1:123456789012:execution:baton-production:release-b); the release takes no lock (released api again) and changes nothing',
      );
      expect(traffic(result)).toEqual({ api: 'blue 100 / green 0', worker: 'blue 0 / green 100', web: 'blue 0 / green 100' });
      expect(item(result, 'RELEASE#release-a')?.status).toBe('REJECTED');
      expect(item(result, 'RELEASE#release-b')?.status).toBe('SUCCEEDED');
      expect(
        simulation.apis.calls
          .filter((call) => call.operation === 'DeleteItem')
          .map((call) => JSON.stringify((call.input as { Key?: unknown }).Key)),
      ).toContain('{"pk":"LOCK#api","sk":"LOCK"}');
      expect([...simulation.model.table.keys()].filter((key) => key.startsWith('LOCK#'))).toEqual([]);
    } finally {
      open.close();
    }
    expect(checkInvariants(config, start, { ...result, initialListeners: structuredClone(result.model.listeners) })).toEqual([]);
  });
});
