/**
 * What the stack tests know of the example config (baton.config.json): the
 * account and region it deploys to, the ARNs it names, the phases that
 * announce outcomes, its stack synthesized with the logical ids the tests
 * name, and variants of it that change the pipeline section.
 */
import { type BatonConfig, BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { exampleConfig, rawExampleConfig } from './config.ts';
import { logicalIdOf, type Synthesis, synth } from './synth.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/** The chat webhook secret (pipeline.notifications). */
export const WEBHOOK_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:baton/chat-webhook-Hk7Qz1`;
/** The phases that notify (need "notify"): the start (prepare), a deployment waiting for approval, and the terminal outcomes. */
export const NOTIFYING_PHASES: PhaseName[] = [
  'prepare',
  'shiftTraffic',
  'requestApproval',
  'complete',
  'rollback',
  'recordFailure',
  'recover',
  'backstop',
  'unwindRelease',
  'finishRelease',
];

/** The example config's pipeline section as the file has it. */
export function rawExamplePipeline(): Record<string, unknown> {
  return rawExampleConfig().pipeline as Record<string, unknown>;
}

/** The example config, parsed, with `fields` set in its pipeline section. */
export function exampleWithPipeline(fields: Record<string, unknown>): BatonConfig {
  return BatonConfigSchema.parse({ ...rawExampleConfig(), pipeline: { ...rawExamplePipeline(), ...fields } });
}

/** The stack of the example config and the logical ids of the resources the stack tests name. */
export interface ExampleStack {
  readonly synthesis: Synthesis;
  /** The outcomes topic and its key (the example config has the stack create both). */
  readonly topic: string;
  readonly key: string;
  /** The deployment table. */
  readonly table: string;
  readonly stateMachine: string;
  readonly dashboard: string;
}

/** Synthesizes the example config (without bundling): one call per test file, in its beforeAll. */
export function synthExample(): ExampleStack {
  const synthesis = synth(exampleConfig());
  const { stack } = synthesis;
  const key = stack.outcomes.key;
  if (!key) throw new Error('the example config should create the topic key');
  return {
    synthesis,
    topic: logicalIdOf(stack, stack.outcomes.topic),
    key: logicalIdOf(stack, key),
    table: logicalIdOf(stack, stack.deployments.table),
    stateMachine: logicalIdOf(stack, stack.pipeline.stateMachine),
    dashboard: logicalIdOf(stack, stack.monitoring.dashboard),
  };
}
