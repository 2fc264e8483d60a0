/**
 * Static checks of what `cdk synth` ships, read from the bundles themselves
 * (the assets of the cached assembly, sim/artifact/build.ts): every Baton
 * environment variable a bundle still reads is set for its function (a value
 * compiled in by esbuild's define is no longer read), and every AWS command a
 * bundle can send is an action its function's role allows on some resource.
 * The simulation then checks each call's resources at run time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import { LIVE_ALIAS } from '../../lambdas/shared/names.ts';
import { productionListenerOf } from '../../lambdas/shared/service-resources.ts';
import { loadConfig } from '../../lib/config/load.ts';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { type BoundDefinition, boundDefinition } from '../../sim/definition.ts';
import { Authorizer } from '../../sim/iam/authorizer.ts';
import { REQUESTS } from '../../sim/iam/requests.ts';
import { exampleConfig, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';

/** Variables a bundle reads with a default when unset: an operator may add them, the stack need not. */
const OPTIONAL_VARIABLES = new Set([
  // lambdas/shared/logger.ts: an override of the log level; INFO when unset.
  'BATON_LOG_LEVEL',
]);

/** The IAM prefix of each service key of the simulated account's API table. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  ecs: 'ecs',
  elb: 'elasticloadbalancing',
  ecr: 'ecr',
  secretsmanager: 'secretsmanager',
  elasticache: 'elasticache',
  cloudwatch: 'cloudwatch',
  dynamodb: 'dynamodb',
  sfn: 'states',
  events: 'events',
  sns: 'sns',
  'application-autoscaling': 'application-autoscaling',
};

/** The IAM prefix of the service each AWS SDK package a bundle may require calls. */
const SDK_PACKAGE_PREFIX: Readonly<Record<string, string>> = {
  'client-ecs': 'ecs',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-ecr': 'ecr',
  'client-secrets-manager': 'secretsmanager',
  'client-elasticache': 'elasticache',
  'client-cloudwatch': 'cloudwatch',
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
  'client-sfn': 'states',
  'client-eventbridge': 'events',
  'client-sns': 'sns',
  'client-application-auto-scaling': 'application-autoscaling',
};

/**
 * Services whose SDK a bundle loads for code it carries but never runs, each
 * with the reason (the other bundles load only what their role may call).
 */
function loadedNotCalled(phase: PhaseName): string[] {
  // The smoke test and signal share the phase wrapper (records, events) but run it with { track: false }.
  if (phase === 'smokeTest') return ['dynamodb', 'events'];
  if (phase === 'signal') return ['events'];
  return [];
}

/**
 * The AWS SDK packages each bundle requires while it loads (its module code
 * runs, its handler does not), by bundle file: each is run in a process of
 * its own making (its X-Ray and async hooks stay out of the test's), with a
 * require that notes the packages the bundle itself asks for. A module the
 * bundle imports only on demand (aws/production.ts, a worker's counts) is not
 * loaded, nor is the SDK it needs.
 */
function requiredAtLoad(files: readonly string[], env: Readonly<Record<string, string>>): Record<string, string[]> {
  const script = `
    const Module = require('node:module');
    const { dirname } = require('node:path');
    const { readFileSync } = require('node:fs');
    const { runInThisContext } = require('node:vm');
    const result = {};
    for (const file of process.argv.slice(1)) {
      const seen = new Set();
      const real = Module.createRequire(file);
      const recording = (id) => {
        if (id.startsWith('@aws-sdk/')) seen.add(id.slice('@aws-sdk/'.length));
        return real(id);
      };
      const module = { exports: {} };
      runInThisContext(Module.wrap(readFileSync(file, 'utf8')), { filename: file })(module.exports, recording, module, file, dirname(file));
      result[file] = [...seen].sort();
    }
    process.stdout.write(JSON.stringify(result));
  `;
  const out = execFileSync(process.execPath, ['-e', script, ...files], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, string[]>;
}

/** The document client's commands are the table operations under other names. */
const DOCUMENT_COMMANDS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
};

/**
 * Commands a bundle carries but sends only under a condition the role's
 * grants follow, each with the reason.
 */
function sentOnlyIf(config: BatonConfig, phase: PhaseName, command: string): boolean {
  // The smoke test runs with { track: false } (lambdas/smoke-test/index.ts): the phase wrapper it shares never
  // writes the record, the lease or events; record-smoke-test does, outside the VPC.
  if (phase === 'smokeTest' && ['UpdateItem', 'GetItem', 'PutEvents'].includes(command)) return false;
  // signal runs with { track: false } too (lambdas/signal/index.ts) and holds no lock: it only updates the lock item.
  if (phase === 'signal' && ['GetItem', 'PutEvents'].includes(command)) return false;
  // The wrapper reads the lock only for a lock-holding phase whose renewal failed (LOCK_HOLDING_PHASES, phase.ts);
  // record-failure is none and reads nothing else: its role has no GetItem.
  if (phase === 'recordFailure' && command === 'GetItem') return false;
  // plan release runs with { track: false } (lambdas/plan-release/index.ts): the wrapper records no phase run and
  // renews no lease, and nothing else of it updates an item.
  if (phase === 'planRelease' && command === 'UpdateItem') return false;
  // signal runs with { track: false } (lambdas/signal/index.ts) and holds no lock: the wrapper never reads the lock nor
  // publishes events; it only updates the lock item an event concerns (signals.ts recordSignal).
  if (phase === 'signal' && ['GetItem', 'PutEvents'].includes(command)) return false;
  switch (command) {
    // initialize stops a running deployment only for a service with onNewerImage "supersede" (lambdas/shared/queue.ts),
    // and 'supersede' grants states:StopExecution only then.
    // The analysis reads metrics only for a service with one (lambdas/shared/analysis/gate.ts); 'readMetrics' grants it only then.
    // The colours' scaling changes only for a service with autoscaling (lambdas/shared/scaling/apply.ts); 'writeScaling' grants it only then.
    case 'RegisterScalableTarget':
    case 'DeregisterScalableTarget':
    case 'PutScalingPolicy':
    case 'DeleteScalingPolicy':
      return config.services.some((service) => service.autoscaling);
    // A worker's production is its colours' desired counts (lambdas/shared/aws/worker-counts.ts): the phases that
    // otherwise only read or write a listener call ECS for it only with a worker, and 'readProduction' and
    // 'writeProduction' grant it only then.
    case 'DescribeServices':
      return !['initialize', 'planRelease'].includes(phase) || config.services.some((service) => service.kind === 'worker');
    case 'UpdateService':
      return !['shiftTraffic', 'shiftTogether'].includes(phase) || config.services.some((service) => service.kind === 'worker');
    case 'GetMetricData':
      return config.services.some((service) => service.analysis !== undefined);
    case 'StopExecution':
      return phase !== 'initialize' || config.services.some((service) => service.onNewerImage === 'supersede');
    // listener.ts modifies a rule only for a configured listener-rule ARN; writeProduction grants ModifyRule on exactly those.
    case 'ModifyRule':
      return config.services.some((service) =>
        [productionListenerOf(service), service.testListenerArn ?? ''].some((arn) => arn.includes(':listener-rule/')),
      );
    default:
      return true;
  }
}

/** Operation name -> IAM action, from the table the simulation authorizes calls with. */
function actionOf(command: string): string | undefined {
  const operation = DOCUMENT_COMMANDS[command] ?? command;
  for (const [service, operations] of Object.entries(REQUESTS)) {
    if (operation in operations) return `${IAM_PREFIX[service]}:${operation}`;
  }
  return undefined;
}

function bundleOf(bound: BoundDefinition, phase: PhaseName): { code: string; env: Record<string, string> } {
  const fn = bound.functions[phase];
  return { code: readFileSync(join(fn.assetDir, 'index.js'), 'utf8'), env: { ...fn.environment } };
}

/** What cdk synth ships for a config, read the way the simulation reads it. */
async function shipped(config: BatonConfig) {
  const bound = await boundDefinition(config);
  return { bound, assembly: bound.assembly, resolver: bound.resolver, phases: Object.keys(bound.functions) as PhaseName[] };
}

describe.each([
  ['the example config', () => exampleConfig()],
  ['examples/three-services', () => loadConfig(THREE_SERVICES_CONFIG_PATH)],
])('the bundles of %s', (_name, config) => {
  it('read only the Baton environment variables their function is given', async () => {
    const { bound, phases } = await shipped(config());
    const missing = phases.flatMap((phase) => {
      const { code, env } = bundleOf(bound, phase);
      const read = new Set([...code.matchAll(/process\.env(?:\.|\[["'])(BATON_[A-Z0-9_]+)/g)].map((match) => match[1] ?? ''));
      return [...read].filter((name) => !(name in env) && !OPTIONAL_VARIABLES.has(name)).map((name) => `${phase} reads ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it('send only AWS commands whose action their role allows', async () => {
    const { bound, assembly, resolver, phases } = await shipped(config());
    const iam = new Authorizer(resolver);
    const unknown: string[] = [];
    const denied = phases.flatMap((phase) => {
      const { code } = bundleOf(bound, phase);
      const granted = new Set(iam.granted(assembly.functions[phase].role).map((entry) => entry.split(' ')[1]));
      const commands = new Set([...code.matchAll(/new [\w$]+\.([A-Z][A-Za-z]*)Command\(/g)].map((match) => match[1] ?? ''));
      return [...commands].flatMap((command) => {
        if (!sentOnlyIf(config(), phase, DOCUMENT_COMMANDS[command] ?? command)) return [];
        const action = actionOf(command);
        if (!action) {
          unknown.push(`${phase} sends ${command}Command`);
          return [];
        }
        return granted.has(action) ? [] : [`${phase} sends ${command}Command without ${action}`];
      });
    });
    expect(unknown).toEqual([]);
    expect(denied).toEqual([]);
  });

  it('require at load only the AWS SDK packages of services their role may call', async () => {
    const { bound, assembly, resolver, phases } = await shipped(config());
    const iam = new Authorizer(resolver);
    const fileOf = (phase: PhaseName) => join(bound.functions[phase].assetDir, 'index.js');
    const loaded = requiredAtLoad(phases.map(fileOf), bound.functions[phases[0] ?? 'initialize'].environment);
    const needless = phases.flatMap((phase) => {
      const prefixes = new Set(iam.granted(assembly.functions[phase].role).map((entry) => entry.split(' ')[1]?.split(':')[0]));
      const packages = loaded[fileOf(phase)] ?? [];
      return packages
        .map((name) => SDK_PACKAGE_PREFIX[name] ?? name)
        .filter((prefix) => !prefixes.has(prefix) && !loadedNotCalled(phase).includes(prefix))
        .map((prefix) => `${phase} requires the SDK of ${prefix}`);
    });
    expect(needless).toEqual([]);
  });
});

describe('the EventBridge rules of the example stack', () => {
  it('can each reach their targets: a role allowed to start the state machine, or a permission to invoke the function', async () => {
    // Arrange
    const { assembly, resolver } = await shipped(exampleConfig());
    const iam = new Authorizer(resolver);
    const functions = new Map(Object.values(assembly.functions).map((ids) => [resolver.getArn(ids.function), ids.function]));
    // The rules start the alias deployments run on (lambdas/shared/names.ts LIVE_ALIAS).
    const machineArn = `${resolver.getArn(assembly.stateMachine.resource)}:${LIVE_ALIAS}`;

    // Act
    const reached = await Promise.all(
      resolver.resourcesOfType('AWS::Events::Rule').flatMap((rule) =>
        ((resolver.property(rule, 'Targets') as Array<{ Arn: string; RoleArn?: string }> | undefined) ?? []).map(async (target) => {
          if (target.Arn === machineArn) {
            const role = resolver.resourcesOfType('AWS::IAM::Role').find((id) => resolver.getArn(id) === target.RoleArn);
            if (!role) return `${rule}: starts the state machine without a role`;
            const denial = await iam.check(role, 'events', [{ action: 'states:StartExecution', resource: machineArn, context: {} }]);
            return denial ? `${rule}: ${denial.message}` : `${rule}: starts the state machine`;
          }
          const fn = functions.get(target.Arn);
          if (fn) return `${rule}: ${iam.mayInvoke(fn, 'events.amazonaws.com') ? 'invokes' : 'may not invoke'} ${fn}`;
          return `${rule}: delivers to ${target.Arn.split(':')[2]}`;
        }),
      ),
    );

    // Assert
    expect(reached.sort()).toEqual([
      'BackstopExecutionEndedFA966DDA: invokes PhasesbackstopB0629614',
      'BackstopSweep4103778A: invokes PhasesbackstopB0629614',
      'EcrPushwebPush2CF20EFD: starts the state machine',
      'EventsAllEventsB0590842: delivers to logs',
      'IgnoredPushesRepository051D1B0D5: delivers to logs',
      'SignalsAlarmEntersAlarm04C8BF7D: invokes Phasessignal42A3A8CD',
      'SignalsTaskStopped9626EBB0: invokes Phasessignal42A3A8CD',
    ]);
  });
});
