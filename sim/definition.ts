/**
 * The state machine exactly as the stack synthesizes it, and the binding of
 * each Task to the handler of the function it invokes. The binding is read
 * from the stack (function logical id -> phase -> handler entry), never from a
 * hand-kept table; a Task that invokes anything else is an error.
 */
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { BatonConfig, PhaseName } from '../lambdas/shared/config-schema.ts';
import { buildApp } from '../lib/app.ts';
import { entryOf } from '../lib/constructs/phase-functions.ts';

export interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Choices?: Array<Record<string, unknown>>;
  Default?: string;
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

export interface BoundDefinition {
  readonly definition: AslDefinition;
  /** Task state name -> phase whose handler runs it. */
  readonly bindings: Map<string, { phase: PhaseName; entry: string }>;
}

type CfnValue = string | number | boolean | null | CfnValue[] | { [key: string]: CfnValue };

/** Resolves the CloudFormation intrinsics a definition string contains in this stack. */
function resolveIntrinsics(value: CfnValue, refs: (logicalId: string, attribute?: string) => string): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) || value === null || typeof value !== 'object')
    throw new Error(`unexpected definition fragment: ${JSON.stringify(value)}`);
  const join = value['Fn::Join'];
  if (Array.isArray(join)) {
    const [separator, parts] = join as [string, CfnValue[]];
    return parts.map((part) => resolveIntrinsics(part, refs)).join(separator);
  }
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return refs(String(getAtt[0]), String(getAtt[1]));
  const ref = value.Ref;
  if (typeof ref === 'string') return refs(ref);
  throw new Error(`unsupported intrinsic in the definition: ${JSON.stringify(value)}`);
}

/** Every state of the definition, those inside Map iterations (ItemProcessor) and Parallel branches included. */
export function allStates(definition: Pick<AslDefinition, 'States'>): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]): Array<[string, AslState]> => {
    const nested = [state.ItemProcessor ?? state.Iterator, ...((state.Branches as unknown[] | undefined) ?? [])].filter(
      (child): child is Pick<AslDefinition, 'States'> => typeof child === 'object' && child !== null && 'States' in child,
    );
    return [[name, state], ...nested.flatMap(allStates)];
  });
}

export function boundDefinition(config: BatonConfig): BoundDefinition {
  // Bundling is skipped: the simulation runs the handlers' TypeScript directly.
  const { stack } = buildApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });
  const functionArn = (logicalId: string) => `arn:aws:lambda:${config.pipeline.region}:${config.pipeline.account}:function:${logicalId}`;
  const phaseByArn = new Map<string, PhaseName>();
  for (const [phase, fn] of Object.entries(stack.phases.functions) as Array<[PhaseName, { node: { defaultChild: unknown } }]>) {
    phaseByArn.set(functionArn(stack.getLogicalId(fn.node.defaultChild as CfnFunction)), phase);
  }
  const cfn = stack.pipeline.stateMachine.node.defaultChild as CfnStateMachine;
  const resolved = stack.resolve(cfn.definitionString) as CfnValue;
  const text = resolveIntrinsics(resolved, (logicalId, attribute) => {
    if (logicalId === 'AWS::Partition') return 'aws';
    if (logicalId === 'AWS::Region') return config.pipeline.region;
    if (logicalId === 'AWS::AccountId') return config.pipeline.account;
    if (attribute === 'Arn') return functionArn(logicalId);
    throw new Error(`unsupported reference ${logicalId}${attribute ? `.${attribute}` : ''} in the definition`);
  });
  const definition = JSON.parse(text) as AslDefinition;
  const bindings = new Map<string, { phase: PhaseName; entry: string }>();
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    // Service integrations (e.g. lambda:invoke.waitForTaskToken) name the function in Parameters.
    const parameters = state.Parameters as { FunctionName?: unknown } | undefined;
    const target = state.Resource?.startsWith('arn:aws:states:::lambda:invoke') ? String(parameters?.FunctionName ?? '') : state.Resource;
    const phase = target ? phaseByArn.get(target) : undefined;
    if (!phase) throw new Error(`Task "${name}" invokes ${state.Resource ?? 'nothing'}, which is not a phase function of the stack`);
    bindings.set(name, { phase, entry: entryOf(phase) });
  }
  return { definition, bindings };
}
