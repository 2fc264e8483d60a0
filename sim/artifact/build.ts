/**
 * What `cdk synth` ships for a config, built once and reused: the cloud
 * assembly (template and one bundled asset per function, from the one local
 * esbuild run of lib/bundling/phase-bundles.ts) in a cache keyed by the config and the
 * sources that go into it. A warm run reads the cached template and never
 * imports aws-cdk-lib; a cold one synthesizes in process, exactly as
 * `cdk synth` does (cdk.json's context, the cdk-nag packs).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { BatonConfig } from '../../lambdas/shared/config-schema.ts';
import type { PhaseName } from '../../lib/constructs/phases.ts';
import { MANIFEST_FILE, markUsed, pruneAssemblies } from './cache-prune.ts';
import type { CfnTemplate } from './template.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Inside node_modules so each bundle finds the AWS SDK (external, as the Lambda runtime provides it) by Node's resolution. */
export const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'baton-assemblies');
/** The sources a synthesized assembly depends on. */
const SOURCES = ['lambdas', 'lib', 'bin', 'package-lock.json', 'cdk.json', 'sim/artifact/build.ts'];

const ManifestSchema = z.object({
  stackName: z.string(),
  templateFile: z.string(),
  account: z.string(),
  region: z.string(),
  /** Phase -> the logical ids of its function and its role. */
  functions: z.record(z.string(), z.object({ function: z.string(), role: z.string() })),
  stateMachine: z.object({ resource: z.string(), role: z.string() }),
});

export interface Assembly {
  /** The cloud assembly directory (cdk.out). */
  readonly dir: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: CfnTemplate;
  readonly functions: Readonly<Record<PhaseName, { readonly function: string; readonly role: string }>>;
  readonly stateMachine: { readonly resource: string; readonly role: string };
  /** Whether this run built it (a cold cache) or found it. */
  readonly built: boolean;
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The cache key: the config and every source file that goes into the template or a bundle. */
function assemblyKey(config: BatonConfig): string {
  const hash = createHash('sha256').update(JSON.stringify(config));
  for (const file of SOURCES.flatMap((source) => filesUnder(join(ROOT, source)))) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 24);
}

const assemblies = new Map<string, Assembly>();

/** The assembly for a config: from this process's memory, the disk cache, or a fresh synthesis. */
export async function assemblyFor(config: BatonConfig): Promise<Assembly> {
  const key = assemblyKey(config);
  const known = assemblies.get(key);
  if (known) return known;
  const dir = join(CACHE_DIR, key);
  // Marked as used, so the cache's bound keeps it; an assembly another process pruned meanwhile is built again.
  const built = !(existsSync(join(dir, MANIFEST_FILE)) && markUsed(dir));
  if (built) {
    await synthesizeInto(config, dir);
    pruneAssemblies(CACHE_DIR);
  }
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')));
  const assembly: Assembly = {
    dir,
    ...manifest,
    functions: manifest.functions as Record<PhaseName, { function: string; role: string }>,
    template: JSON.parse(readFileSync(join(dir, manifest.templateFile), 'utf8')) as CfnTemplate,
    built,
  };
  assemblies.set(key, assembly);
  return assembly;
}

/** The context `cdk synth` passes from cdk.json (feature flags change the template), without the config path. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const { config: _path, ...context } = cdkJson.context ?? {};
  return context;
}

/**
 * Synthesizes into a private directory, then renames it into place, so two
 * processes building the same key never see half an assembly.
 */
async function synthesizeInto(config: BatonConfig, dir: string): Promise<void> {
  // Imported here: a warm run never loads aws-cdk-lib.
  const [{ buildApp }, { CfnResource }] = await Promise.all([import('../../lib/app.ts'), import('aws-cdk-lib')]);
  mkdirSync(CACHE_DIR, { recursive: true });
  const outdir = `${dir}.building-${process.pid}-${Date.now()}`;
  const { app, stack } = buildApp(config, { outdir, context: cdkJsonContext() });
  try {
    app.synth();
  } catch (error) {
    const report = join(outdir, 'validation-report.json');
    const findings = existsSync(report) ? readFileSync(report, 'utf8') : '';
    rmSync(outdir, { recursive: true, force: true });
    throw new Error(`cdk synth fails for this config, so nothing could be deployed${findings ? `: ${findings}` : ''}`, { cause: error });
  }
  const logicalId = (construct: { node: { defaultChild?: unknown } }): string => {
    const resource = construct.node.defaultChild;
    if (!CfnResource.isCfnResource(resource)) throw new Error(`${String(construct)} has no CloudFormation resource`);
    return stack.getLogicalId(resource);
  };
  const functions = Object.fromEntries(
    (Object.keys(stack.phases.functions) as PhaseName[]).map((phase) => [
      phase,
      { function: logicalId(stack.phases.functions[phase]), role: logicalId(stack.phases.roles[phase]) },
    ]),
  );
  const machine = stack.pipeline.stateMachine;
  const manifest: z.infer<typeof ManifestSchema> = {
    stackName: stack.stackName,
    templateFile: stack.templateFile,
    account: config.pipeline.account,
    region: config.pipeline.region,
    functions,
    stateMachine: { resource: logicalId(machine), role: logicalId(machine.role as unknown as { node: { defaultChild?: unknown } }) },
  };
  writeFileSync(join(outdir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    renameSync(outdir, dir);
  } catch (error) {
    // Another process finished the same key first: its assembly is identical.
    rmSync(outdir, { recursive: true, force: true });
    if (!existsSync(join(dir, MANIFEST_FILE))) throw error;
  }
}
