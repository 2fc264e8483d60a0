/**
 * The state machine exactly as `cdk synth` ships it, and the binding of each
 * Task to the deployed function it invokes: both read from the synthesized
 * template (the definition's function ARNs resolved as CloudFormation
 * resolves them), never from a hand-kept table; a Task that invokes anything
 * else is an error.
 */
import type { BatonConfig } from '../lambdas/shared/config-schema.ts';
import type { PhaseName } from '../lib/constructs/phases.ts';
import { RELEASE_SUFFIX } from '../lib/constructs/state-names.ts';
import { type Assembly, assemblyFor } from './artifact/build.ts';
import { type DeployedFunction, deployedFunctions } from './artifact/functions.ts';
import { type CfnValue, TemplateResolver } from './artifact/template.ts';

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
  /** Task state name -> the function it invokes. */
  readonly bindings: Map<string, DeployedFunction>;
  readonly functions: Readonly<Record<PhaseName, DeployedFunction>>;
  readonly assembly: Assembly;
  readonly resolver: TemplateResolver;
  readonly stateMachineArn: string;
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

export async function boundDefinition(config: BatonConfig): Promise<BoundDefinition> {
  return bindAssembly(await assemblyFor(config));
}

/**
 * The definition of one assembly bound to its functions. Tasks invoke function versions (function ARN:number):
 * each is bound to the function as this assembly deploys it. `versions`: the Lambda versions published before
 * (TemplateResolver), when this assembly upgrades a deployed one (sim/upgrade.ts).
 */
export function bindAssembly(assembly: Assembly, versions?: Map<string, string[]>): BoundDefinition {
  const resolver = new TemplateResolver(
    assembly.template,
    { stackName: assembly.stackName, account: assembly.account, region: assembly.region },
    versions,
  );
  const functions = deployedFunctions(assembly, resolver);
  const byArn = new Map(Object.values(functions).map((fn) => [fn.arn, fn]));
  const machine = assembly.stateMachine.resource;
  const definitionString = assembly.template.Resources[machine]?.Properties?.DefinitionString as CfnValue | undefined;
  if (definitionString === undefined) throw new Error(`state machine ${machine} has no DefinitionString`);
  const definition = JSON.parse(resolver.resolveString(definitionString)) as AslDefinition;
  const bindings = new Map<string, DeployedFunction>();
  for (const [name, state] of allStates(definition)) {
    if (state.Type !== 'Task') continue;
    // Service integrations (e.g. lambda:invoke.waitForTaskToken) name the function in Parameters.
    const parameters = state.Parameters as { FunctionName?: unknown } | undefined;
    const target = state.Resource?.startsWith('arn:aws:states:::lambda:invoke') ? String(parameters?.FunctionName ?? '') : state.Resource;
    const unqualified = target?.split(':').slice(0, 7).join(':');
    const fn = unqualified ? byArn.get(unqualified) : undefined;
    if (!fn) throw new Error(`Task "${name}" invokes ${state.Resource ?? 'nothing'}, which is not a phase function of the stack`);
    bindings.set(name, target === unqualified ? fn : { ...fn, qualifiedArn: String(target) });
  }
  return { definition, bindings, functions, assembly, resolver, stateMachineArn: String(resolver.getArn(machine)) };
}

const definitions = new Map<string, Promise<BoundDefinition>>();

/** The assembly is cached on disk (sim/artifact/build.ts); its reading is cached per process. */
export function definitionFor(config: BatonConfig): Promise<BoundDefinition> {
  const key = JSON.stringify(config);
  let bound = definitions.get(key);
  if (!bound) {
    bound = boundDefinition(config);
    definitions.set(key, bound);
  }
  return bound;
}

/** A release iteration's state under its plain name ("Verify new colour (release)" -> "Verify new colour"), as faults know it. */
export function plainStateName(name: string): string {
  return name.endsWith(RELEASE_SUFFIX) ? name.slice(0, -RELEASE_SUFFIX.length) : name;
}
