/**
 * What goes into each phase function's bundle. The handlers that read the
 * pipeline config (pipelineConfig() in lambdas/shared/runtime-config.ts) get
 * it compiled in by the stack (esbuild `define` of process.env.BATON_CONFIG);
 * no function has it in its environment. Which handlers read it is taken
 * from their import graphs, bundled here with esbuild the way NodejsFunction
 * bundles them, not from a hand-kept list.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { entryOf } from '../../lib/constructs/phase-entry.ts';
import { PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { exampleConfig, ROOT } from '../support/config.ts';
import { type Synthesis, synth } from '../support/synth.ts';

/** The module that reads process.env.BATON_CONFIG, as esbuild names it in a metafile (relative to the working directory). */
const CONFIG_MODULE = join('lambdas', 'shared', 'runtime-config.ts');

/** Whether the bundle of a phase's handler contains code of the config module (tree-shaken, as the stack bundles it). */
async function bundleReadsConfig(phase: PhaseName): Promise<boolean> {
  const result = await build({
    entryPoints: [entryOf(phase)],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).some((output) => (output.inputs[CONFIG_MODULE]?.bytesInOutput ?? 0) > 0);
}

interface FunctionResource {
  readonly Properties: { readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

describe('the pipeline config in the phase bundles', () => {
  let readers: PhaseName[];

  beforeAll(async () => {
    const reads = await Promise.all(PHASE_NAMES.map(async (phase) => [phase, await bundleReadsConfig(phase)] as const));
    readers = reads.filter(([, read]) => read).map(([phase]) => phase);
  });

  it('finds the config module in the bundles of the handlers that call pipelineConfig()', () => {
    // Assert: the handlers known to read it (their own code calls pipelineConfig()) are among those found.
    expect(readers).toEqual(expect.arrayContaining(['initialize', 'recover', 'planRelease', 'unwindRelease']));
  });

  it('compiles the config into exactly the phases whose bundle reads it', () => {
    // Act
    const withTrait = PHASE_NAMES.filter((phase) => PHASES[phase].readsConfig === true);

    // Assert
    expect(withTrait.sort()).toEqual([...readers].sort());
  });

  describe('the synthesized functions', () => {
    let synthesis: Synthesis;

    beforeAll(() => {
      synthesis = synth(exampleConfig());
    });

    it('puts BATON_CONFIG in no function environment: it is compiled in, never read from the environment', () => {
      // Act
      const functions = Object.values(synthesis.template.findResources('AWS::Lambda::Function')) as FunctionResource[];

      // Assert
      expect(functions.length).toBeGreaterThan(0);
      expect(functions.filter((fn) => 'BATON_CONFIG' in (fn.Properties.Environment?.Variables ?? {}))).toEqual([]);
    });

    it.each(PHASE_NAMES)('bundles %s with the config defined exactly when its handler reads it', (phase) => {
      // Arrange
      const fn = synthesis.stack.phases.functions[phase];

      // Act: the esbuild options NodejsFunction was given (bundling itself is skipped in this synthesis).
      const define = synthesis.stack.phases.bundlingDefines[phase];

      // Assert
      expect(define).toEqual(
        readers.includes(phase) ? { 'process.env.BATON_CONFIG': JSON.stringify(JSON.stringify(exampleConfig())) } : undefined,
      );
      expect(fn.node.id).toBe(phase);
    });
  });
});
