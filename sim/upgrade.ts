/**
 * A `cdk deploy` of a new Baton over a running simulation: the assembly is
 * changed as a new synthesis would change it (a phase's bundle and so its
 * CurrentVersion, and the definition), and the result is published as the
 * next state machine version. StartExecution (unqualified or on the alias)
 * runs it from then on; an execution already running keeps the version it
 * started on, and with it the function versions that version invokes
 * (lib/constructs/pipeline-state-machine.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PhaseName } from '../lib/constructs/phases.ts';
import type { Assembly } from './artifact/build.ts';
import type { CfnTemplate } from './artifact/template.ts';
import { allStates, type BoundDefinition, bindAssembly } from './definition.ts';
import type { Simulation } from './stepfunctions/backend.ts';

export interface UpgradeChange {
  /** A state the new definition names differently: [old name, new name]. */
  readonly renameState: readonly [string, string];
  /** A phase whose handler changes: the code appended to its bundle (index.js). */
  readonly handler: { readonly phase: PhaseName; readonly append: string };
}

/** The assembly a synthesis of the changed source would produce: a new asset, a new CurrentVersion, a new definition. */
export function upgradedAssembly(assembly: Assembly, change: UpgradeChange): Assembly {
  // Beside the assembly cache (node_modules/.cache): the bundles resolve the runtime's @aws-sdk modules from there.
  const parent = join(dirname(assembly.dir), '..', 'baton-upgrades');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'upgrade-'));
  for (const entry of readdirSync(assembly.dir)) symlinkSync(join(assembly.dir, entry), join(dir, entry));
  const fnId = assembly.functions[change.handler.phase].function;
  const code = assembly.template.Resources[fnId]?.Properties?.Code as { S3Key?: string } | undefined;
  const oldAsset = String(code?.S3Key ?? '').replace(/\.zip$/, '');
  const asset = createHash('sha256').update(oldAsset).update(change.handler.append).digest('hex');
  mkdirSync(join(dir, `asset.${asset}`));
  cpSync(join(assembly.dir, `asset.${oldAsset}`), join(dir, `asset.${asset}`), { recursive: true });
  appendFileSync(join(dir, `asset.${asset}`, 'index.js'), `\n${change.handler.append}\n`);
  // CDK names a function's CurrentVersion after a hash of its code and configuration: new code, new version.
  const versionId = Object.entries(assembly.template.Resources).find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Version' && JSON.stringify(resource.Properties?.FunctionName) === JSON.stringify({ Ref: fnId }),
  )?.[0];
  if (!versionId) throw new Error(`function ${fnId} publishes no version: its Tasks would not keep their code across a deploy`);
  const text = JSON.stringify(assembly.template).replaceAll(`"${versionId}"`, `"${versionId.slice(0, -8)}${asset.slice(0, 8)}"`);
  const template = JSON.parse(text) as CfnTemplate;
  const fn = template.Resources[fnId]?.Properties as { Code: { S3Key: string } };
  fn.Code = { ...fn.Code, S3Key: `${asset}.zip` };
  const machine = template.Resources[assembly.stateMachine.resource]?.Properties as { DefinitionString: unknown };
  const [from, to] = change.renameState;
  machine.DefinitionString = JSON.parse(JSON.stringify(machine.DefinitionString).replaceAll(from, to));
  return { ...assembly, dir, template, built: false };
}

/** Deploys the changed assembly: the next version, run by every execution started from now on. */
export function publishUpgrade(simulation: Simulation, change: UpgradeChange): BoundDefinition {
  const current = simulation.bound;
  // The Lambda versions published so far carry over: an unchanged function keeps its version, a changed one gets the next.
  const next = bindAssembly(upgradedAssembly(current.assembly, change), current.resolver.versions);
  simulation.bound = next;
  for (const [name, state] of allStates(next.definition)) simulation.stateTypes.set(name, state.Type);
  for (const name of Object.keys(next.definition.States)) simulation.topLevel.add(name);
  return next;
}
