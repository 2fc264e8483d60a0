/**
 * Workflow tests: the synthesized state machine executed by
 * aws-local-stepfunctions, every Task bound to its real handler, against the
 * simulated account. Each asserts the exact path, the caught error, the
 * traffic and the record; the fixture checks the invariants of
 * docs/architecture.md after every run.
 */
import {
  type AuthenticateOidcActionConfig,
  InvalidLoadBalancerActionException,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { elb } from '../../lambdas/shared/clients/elb.ts';
import { openSimulation } from '../../sim/harness.ts';
import { failure } from '../support/aws.ts';
import { exampleConfig } from '../support/config.ts';
import {
  BAKE_LOOP,
  exampleAccount,
  REJECTED,
  ROLLED_BACK,
  record,
  run,
  SCALE_DOWN_LOOP,
  SMOKE_TEST,
  STABILITY_LOOP,
  START,
  weights,
} from '../support/simulation.ts';

const PRODUCTION_LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
const OIDC_CONFIG: AuthenticateOidcActionConfig = {
  Issuer: 'https://idp.example.com',
  AuthorizationEndpoint: 'https://idp.example.com/authorize',
  TokenEndpoint: 'https://idp.example.com/token',
  UserInfoEndpoint: 'https://idp.example.com/userinfo',
  ClientId: 'baton-web',
  SessionCookieName: 'AWSELBAuthSessionCookie',
  Scope: 'openid',
  SessionTimeout: 604800,
  OnUnauthenticatedRequest: 'authenticate',
};

const HAPPY_TAIL = [
  'Verify new colour',
  ...SMOKE_TEST,
  'Is approval required?',
  'Shift traffic',
  'Is traffic fully shifted?',
  ...BAKE_LOOP,
  ...SCALE_DOWN_LOOP,
  'Complete deployment',
  'Deployment succeeded',
];

describe('a deployment of the example service', () => {
  it('moves 100 % of traffic to green through every phase in order', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...START, ...STABILITY_LOOP, ...HAPPY_TAIL]);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(record(result)?.status).toBe('SUCCEEDED');
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(0);
    expect(result.model.service('prod', 'web-green')?.desiredCount).toBe(3);
  });

  it('reports how long the deployment takes on the virtual clock', async () => {
    // Arrange / Act
    const result = await run();

    // Assert: 3 looks at the rollout 15 s apart inside one Check stability (a new target is healthy after one 10 s
    // check), a 300 s bake, a 300 s scale-down delay, and 0.25 s of state transitions and Lambda invokes
    // (sim/stepfunctions/latency.ts).
    expect(result.simulatedSeconds).toBe(45 + 300 + 300 + 0.25);
  });

  it('pins the new task definition to the validated secret version and the image digest', async () => {
    // Arrange / Act
    const result = await run();

    // Assert
    const green = result.model.service('prod', 'web-green');
    const definition = green ? result.model.taskDefinitions.get(green.taskDefinitionArn) : undefined;
    const container = definition?.containerDefinitions[0];
    expect(container?.image).toBe(
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f',
    );
    expect(container?.secrets).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom:
        'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab:DATABASE_URL::20261120-0000-4000-8000-000000000001',
    });
    expect(container?.secrets).toContainEqual({
      name: 'NEW_RELIC_LICENSE',
      valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/newrelic-Ab12Cd',
    });
  });

  it('moves traffic on a production listener that authenticates with OIDC first, keeping its authentication', async () => {
    // Arrange: an authenticate-oidc action before the forward, as DescribeListeners shows it (no ClientSecret).
    const account = exampleAccount();
    const production = account.elb.listeners[PRODUCTION_LISTENER];
    if (!production) throw new Error('the example account has no production listener');
    production.actionsBeforeForward = [{ Type: 'authenticate-oidc', AuthenticateOidcConfig: { ...OIDC_CONFIG } }];

    // Act
    const result = await run({ account });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(result.model.listeners[PRODUCTION_LISTENER]?.actionsBeforeForward).toEqual([
      { Type: 'authenticate-oidc', AuthenticateOidcConfig: OIDC_CONFIG },
    ]);
    const writes = result.apis.calls.filter((call) => call.operation === 'ModifyListener');
    expect(writes.map((call) => call.error)).toEqual(writes.map(() => undefined));
  });

  it('refuses, as ELB does, a listener write whose authenticate-oidc action has neither ClientSecret nor UseExistingClientSecret', async () => {
    // Arrange
    const account = exampleAccount();
    const production = account.elb.listeners[PRODUCTION_LISTENER];
    if (!production) throw new Error('the example account has no production listener');
    production.actionsBeforeForward = [{ Type: 'authenticate-oidc', AuthenticateOidcConfig: { ...OIDC_CONFIG } }];
    const open = await openSimulation({ config: exampleConfig(), account, input: {} });

    try {
      // Act
      const error = await failure(
        elb().send(
          new ModifyListenerCommand({
            ListenerArn: PRODUCTION_LISTENER,
            DefaultActions: [{ Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: OIDC_CONFIG }],
          }),
        ),
      );

      // Assert
      expect(error).toBeInstanceOf(InvalidLoadBalancerActionException);
      expect(error.message).toBe(
        'You must specify a client secret for an authenticate-oidc action, or set UseExistingClientSecret to true',
      );
    } finally {
      open.close();
    }
  });

  it('runs initialize and validate only for a dry run, changing nothing', async () => {
    // Arrange / Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', dryRun: true } });

    // Assert
    expect(result.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Validate',
      'Is it a dry run?',
      'Dry run passed',
    ]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect([...result.model.table.values()]).toEqual(exampleAccount().deploymentTable);
    expect(result.main.output).toEqual({
      service: 'web',
      liveColour: 'blue',
      targetColour: 'green',
      image: {
        current: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86',
        next: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f',
      },
      taskDefinition: {
        base: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
        family: 'web',
        changes: [
          'container web image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:45d7b5470165427b7d3afdd078d4c512b7175c0bb4e521c54a4f48f9450ccf86 -> 123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:2b41b068de9587d3a582a081cb97a55390787552acae4f690637cd64ff74673f',
          'secrets DATABASE_URL, LOG_LEVEL, SESSION_SECRET, WORKER_CONCURRENCY pinned to version 20261120-0000-4000-8000-000000000001 of arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab',
          'app config 20261101-0000-4000-8000-000000000001 -> 20261120-0000-4000-8000-000000000001: added [], removed [], changed [DATABASE_URL, SESSION_SECRET, WORKER_CONCURRENCY]',
        ],
      },
      secretVersions: { current: ['20261101-0000-4000-8000-000000000001'], next: '20261120-0000-4000-8000-000000000001' },
      configDiff: {
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab',
        fromVersionId: '20261101-0000-4000-8000-000000000001',
        toVersionId: '20261120-0000-4000-8000-000000000001',
        added: [],
        removed: [],
        changed: ['DATABASE_URL', 'SESSION_SECRET', 'WORKER_CONCURRENCY'],
      },
      traffic: [{ weight: 100, pauseSeconds: 0 }],
      bakeSeconds: 300,
    });
  });
});

/** The path of an execution that validate rejects. */
const REJECTED_IN_VALIDATE = [
  'Receive request',
  'Is it a recovery?',
  'Is it a release?',
  'Initialize',
  'Validate',
  'Validate failed',
  ...REJECTED,
];

describe('a failure before anything changes', () => {
  it.each([
    [
      'listener-split',
      ['Receive request', 'Is it a recovery?', 'Is it a release?', 'Initialize', 'Initialize failed', ...REJECTED],
      'ListenerSplitError',
      { blue: 80, green: 20 },
    ],
    ['image-missing', REJECTED_IN_VALIDATE, 'ImageNotFoundError', { blue: 100, green: 0 }],
    ['secret-missing', REJECTED_IN_VALIDATE, 'SecretInvalidError', { blue: 100, green: 0 }],
    ['secret-key-unconfigured', REJECTED_IN_VALIDATE, 'SecretInvalidError', { blue: 100, green: 0 }],
    ['secret-malformed', REJECTED_IN_VALIDATE, 'SecretInvalidError', { blue: 100, green: 0 }],
    ['cache-unavailable', REJECTED_IN_VALIDATE, 'CacheNotServingError', { blue: 100, green: 0 }],
  ])('%s ends REJECTED through the exact path with the caught error named', async (fault, path, errorName, traffic) => {
    // Arrange / Act
    const result = await run({ faults: [fault] });

    // Assert
    expect(result.main.executionPath).toEqual(path);
    expect(result.main.error).toBe(errorName);
    expect(weights(result)).toEqual(traffic);
    expect(record(result)?.status).toBe('REJECTED');
    expect(String(record(result)?.outcomeReason)).toContain(errorName);
    expect(result.model.service('prod', 'web-green')?.taskDefinitionArn).toBe('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:6');
  });

  it('names the missing key, the secret and its version, but never the value', async () => {
    // Arrange / Act
    const result = await run({ faults: ['secret-malformed'] });

    // Assert
    expect(result.main.cause).toBe(
      'app-config secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/app-config-Xy12Ab version 20261120-0000-4000-8000-000000000001: key DATABASE_URL is missing',
    );
  });

  it('rejects an input with both a tag and a digest, naming the field', async () => {
    // Arrange / Act
    const result = await run({ input: { service: 'web', imageTag: 'v1.4.2', imageDigest: `sha256:${'a'.repeat(64)}` } });

    // Assert
    expect(result.main.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      ...REJECTED,
    ]);
    expect(result.main.error).toBe('InvalidInputError');
    expect(result.main.cause).toBe('invalid execution input: imageDigest: give imageTag or imageDigest, not both');
  });

  it('lets a duplicate trigger end DUPLICATE while the first deployment succeeds', async () => {
    // Arrange / Act
    const result = await run({ faults: ['duplicate-trigger'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.others).toHaveLength(1);
    expect(result.others[0]?.executionPath).toEqual([
      'Receive request',
      'Is it a recovery?',
      'Is it a release?',
      'Initialize',
      'Initialize failed',
      'Record rejection',
      'Is the trigger redundant?',
      'Duplicate trigger ignored',
    ]);
    expect(record(result, 'deploy-1-duplicate')?.status).toBe('DUPLICATE');
  });
});

describe('a failure after the new colour was touched', () => {
  it.each([
    ['register-fails', [...START.slice(0, 7), 'Prepare task definition failed', ...ROLLED_BACK], 'AccessDeniedException'],
    ['update-service-fails', [...START, 'Deploy new colour failed', ...ROLLED_BACK], 'AccessDeniedException'],
    [
      'green-tasks-crash',
      [
        ...START,
        // Check stability sees the tasks crash while it watches the rollout, inside its one invocation.
        'Check new colour stability',
        'Check new colour stability failed',
        ...ROLLED_BACK,
      ],
      'DeploymentFailedError',
    ],
    [
      'alarm-at-verify',
      [...START, ...STABILITY_LOOP, 'Verify new colour', 'Verify new colour failed', ...ROLLED_BACK],
      'VerificationFailedError',
    ],
    [
      'listener-update-fails',
      [
        ...START,
        ...STABILITY_LOOP,
        'Verify new colour',
        ...SMOKE_TEST,
        'Is approval required?',
        'Shift traffic',
        'Shift traffic failed',
        ...ROLLED_BACK,
      ],
      'AccessDeniedException',
    ],
    [
      'alarm-during-bake',
      [
        ...START,
        ...STABILITY_LOOP,
        'Verify new colour',
        ...SMOKE_TEST,
        'Is approval required?',
        'Shift traffic',
        'Is traffic fully shifted?',
        // The alarm enters ALARM one 60 s period after its metric breaches as the bake starts: the first Check bake,
        // watching inside its invocation, rolls back.
        'Check bake',
        'Check bake failed',
        ...ROLLED_BACK,
      ],
      'GateFailedError',
    ],
    [
      'complete-fails',
      [
        ...START,
        ...STABILITY_LOOP,
        'Verify new colour',
        ...SMOKE_TEST,
        'Is approval required?',
        'Shift traffic',
        'Is traffic fully shifted?',
        ...BAKE_LOOP,
        ...SCALE_DOWN_LOOP,
        'Complete deployment',
        'Complete deployment failed',
        ...ROLLED_BACK,
      ],
      'AccessDeniedException',
    ],
  ])('%s rolls back to blue through the exact path', async (fault, path, errorName) => {
    // Arrange / Act
    const result = await run({ faults: [fault] });

    // Assert
    expect(result.main.executionPath).toEqual(path);
    expect(result.main.error).toBe(errorName);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(String(record(result)?.outcomeReason).startsWith(`${errorName}: `)).toBe(true);
    expect(result.model.service('prod', 'web-green')?.desiredCount).toBe(0);
    expect(result.model.service('prod', 'web-blue')?.desiredCount).toBe(3);
  });

  it('scales a scaled-down old colour up and waits for it before moving traffic back', async () => {
    // Arrange / Act
    const result = await run({ faults: ['old-colour-scaled-down'] });

    // Assert
    const rollbackPath = result.main.executionPath.slice(result.main.executionPath.indexOf('Roll back'));
    expect(rollbackPath.filter((state) => state === 'Wait for old colour').length).toBeGreaterThan(0);
    expect(rollbackPath.slice(-3)).toEqual(ROLLED_BACK);
    const modifyAt = result.apis.calls.find((c) => c.operation === 'ModifyListener' && c.at > Date.parse('2026-11-23T09:01:30Z'))?.at ?? 0;
    const blueHealthyCalls = result.apis.calls.filter(
      (c) => c.operation === 'UpdateService' && JSON.stringify(c.input).includes('"web-blue"'),
    );
    expect(blueHealthyCalls[blueHealthyCalls.length - 1]?.input).toEqual({ cluster: 'prod', service: 'web-blue', desiredCount: 3 });
    expect(modifyAt).toBeGreaterThan(blueHealthyCalls[blueHealthyCalls.length - 1]?.at ?? Number.POSITIVE_INFINITY);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
  });

  it('retries a rollback whose first listener update fails and still moves traffic back', async () => {
    // Arrange / Act
    const result = await run({ faults: ['rollback-listener-fails-once'] });

    // Assert
    const rollbackPath = result.main.executionPath.slice(result.main.executionPath.indexOf('Roll back'));
    expect(rollbackPath).toEqual(ROLLED_BACK);
    expect(result.apis.calls.filter((c) => c.operation === 'ModifyListener' && c.error === 'InternalFailure')).toHaveLength(1);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.status).toBe('ROLLED_BACK');
  });

  it('survives throttled ECS and ELB calls through the state machine retries', async () => {
    // Arrange / Act
    const result = await run({ faults: ['throttling'] });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.apis.calls.filter((c) => c.error === 'ThrottlingException' || c.error === 'Throttling')).toHaveLength(3);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
  });
});

describe('a deployment gated by a composite alarm', () => {
  /** The example account with web-5xx-rate, the alarm the faults fire, as a composite alarm. */
  function withCompositeAlarm() {
    const account = exampleAccount();
    const alarm = account.cloudwatch.alarms['web-5xx-rate'];
    if (!alarm) throw new Error('the example account has no web-5xx-rate alarm');
    return {
      ...account,
      cloudwatch: { alarms: { ...account.cloudwatch.alarms, 'web-5xx-rate': { ...alarm, type: 'composite' as const } } },
    };
  }

  it('passes every gate while the composite alarm is OK and moves 100 % of traffic to green', async () => {
    // Arrange / Act
    const result = await run({ account: withCompositeAlarm() });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...START, ...STABILITY_LOOP, ...HAPPY_TAIL]);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    expect(record(result)?.status).toBe('SUCCEEDED');
  });

  it('rolls back when the composite alarm goes to ALARM during the bake, naming it', async () => {
    // Arrange / Act
    const result = await run({ account: withCompositeAlarm(), faults: ['alarm-during-bake'] });

    // Assert
    expect(record(result)?.status).toBe('ROLLED_BACK');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.outcomeReason).toBe(
      'GateFailedError: gate failed during the bake of green at 100 %: alarm web-5xx-rate is ALARM (Threshold Crossed: 3 datapoints were greater than the threshold (5.0).)',
    );
  });
});
