/**
 * The function table (lib/constructs/phases.ts) is the only place a phase's
 * traits are decided: walk it and check that every function of the
 * synthesized template got exactly what its row says, and nothing a row
 * does not say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BatonConfig, phaseSettings } from '../../lambdas/shared/config-schema.ts';
import { PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { TASK_TIMEOUT_MARGIN_SECONDS } from '../../lib/constructs/state-names.ts';
import { ROOT } from '../support/config.ts';
import { tasksOf } from '../support/definition.ts';
import { exampleWithPipeline } from '../support/example.ts';
import { type AslState, type Synthesis, stateMachineDefinition, synth } from '../support/synth.ts';
import { functionOf, invokedTarget } from '../support/template.ts';

/** The approval Task waits 300 s past the approval window (phase-states.ts) for a late answer to land. */
const APPROVAL_TASK_MARGIN_SECONDS = 300;

const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0a1b2c3d4e5f60718'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
};

interface FunctionProperties {
  readonly MemorySize: number;
  readonly Timeout: number;
  readonly VpcConfig?: unknown;
  readonly DeadLetterConfig?: unknown;
  readonly Environment: { readonly Variables: Record<string, unknown> };
}

describe('the function table', () => {
  let synthesis: Synthesis;
  let config: BatonConfig;
  let functions: Record<string, FunctionProperties>;
  let tasks: Array<[string, AslState]>;

  const propertiesOf = (phase: PhaseName): FunctionProperties => {
    const properties = functions[functionOf(synthesis, phase)];
    if (!properties) throw new Error(`no function for ${phase}`);
    return properties;
  };
  const tasksInvoking = (phase: PhaseName) => {
    const arn = invokedTarget(synthesis, phase);
    // A task-token Task names the function in its Parameters.
    return tasks.filter(([, task]) => task.Resource === arn || task.Parameters?.FunctionName === arn);
  };

  beforeAll(() => {
    // A network and an override of one phase's settings, so both branches of each trait show.
    config = exampleWithPipeline({ network: NETWORK, phases: { verify: { timeoutSeconds: 200, retries: 1 } } });
    synthesis = synth(config);
    const resources = synthesis.template.toJSON().Resources as Record<string, { Type: string; Properties: FunctionProperties }>;
    functions = Object.fromEntries(
      Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
        .map(([id, resource]) => [id, resource.Properties]),
    );
    tasks = tasksOf(stateMachineDefinition(synthesis.template).States);
  });

  it('builds one function per row, and no other Baton function', () => {
    expect(Object.keys(synthesis.stack.phases.functions).sort()).toEqual([...PHASE_NAMES].sort());
  });

  it.each(PHASE_NAMES)('gives %s its memory and its timeout (the default or the override)', (phase) => {
    const properties = propertiesOf(phase);

    expect({ memory: properties.MemorySize, timeout: properties.Timeout }).toEqual({
      memory: PHASES[phase].memoryMiB,
      timeout: phaseSettings(config.pipeline, phase).timeoutSeconds,
    });
  });

  it('takes the override from pipeline.phases, the default from the table', () => {
    expect([propertiesOf('verify').Timeout, propertiesOf('validate').Timeout]).toEqual([200, PHASES.validate.defaults.timeoutSeconds]);
  });

  it.each(PHASE_NAMES)('puts %s in the VPC exactly when its row has the pipeline network', (phase) => {
    expect(propertiesOf(phase).VpcConfig !== undefined).toBe(PHASES[phase].network === 'pipeline');
  });

  it.each(PHASE_NAMES)('gives %s a dead-letter queue exactly when its row asks for one', (phase) => {
    expect(propertiesOf(phase).DeadLetterConfig !== undefined).toBe(PHASES[phase].deadLetterQueue === true);
  });

  it.each(PHASE_NAMES)('gives %s the topic exactly when it notifies, and the extra environment its row names', (phase) => {
    const variables = propertiesOf(phase).Environment.Variables;

    expect({
      topic: 'BATON_TOPIC_ARN' in variables,
      approvalTimeout: variables.BATON_APPROVAL_TIMEOUT_SECONDS,
    }).toEqual({
      topic: PHASES[phase].needs.includes('notify'),
      approvalTimeout: PHASES[phase].environment?.includes('approvalTimeout') ? String(config.pipeline.approvalTimeoutSeconds) : undefined,
    });
  });

  it.each(PHASE_NAMES)('compiles the config into %s exactly when its row reads it', (phase) => {
    expect(synthesis.stack.phases.bundlingDefines[phase] !== undefined).toBe(PHASES[phase].readsConfig === true);
  });

  it.each(PHASE_NAMES.filter((phase) => !PHASES[phase].deadLetterQueue))(
    "gives every Task invoking %s the phase's timeout plus the margin (a task-token Task: the approval window) and its retries on transient errors",
    (phase) => {
      const settings = phaseSettings(config.pipeline, phase);
      const invoking = tasksInvoking(phase);

      expect(invoking.length).toBeGreaterThan(0);
      for (const [name, task] of invoking) {
        const transient = task.Retry?.find((retrier) => retrier.ErrorEquals.join() === 'TransientAwsError');
        expect({ name, timeout: task.TimeoutSeconds, retries: transient?.MaxAttempts ?? 0 }).toEqual({
          name,
          timeout:
            task.Resource?.endsWith('.waitForTaskToken') === true
              ? config.pipeline.approvalTimeoutSeconds + APPROVAL_TASK_MARGIN_SECONDS
              : settings.timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS,
          retries: settings.retries,
        });
      }
    },
  );

  it("has a builder that decides nothing by a phase's name", () => {
    const builder = readFileSync(join(ROOT, 'lib', 'constructs', 'phase-functions.ts'), 'utf8');

    expect(builder.match(/\bphase\s*[!=]==|\bswitch\s*\(|\bcase\s+'/g)).toBeNull();
  });

  it('invokes the backstop and signal from no Task: EventBridge (and the schedule) invoke them', () => {
    expect(tasksInvoking('backstop')).toEqual([]);
    expect(tasksInvoking('signal')).toEqual([]);
  });
});
