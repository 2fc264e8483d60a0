/**
 * What goes into each phase function's bundle. The handlers that read the
 * pipeline config (pipelineConfig() in lambdas/shared/runtime-config.ts) get
 * it compiled in by the stack (esbuild `define` of process.env.BATON_CONFIG);
 * no function has it in its environment. Which handlers read it is taken
 * from their import graphs, in the metafile of the build the stack bundles
 * with (lib/bundling/phase-bundles.ts), not from a hand-kept list.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleContents, ZOD_DEFAULT_LOCALE } from '../../lib/bundling/bundle-contents.ts';
import { bundleOutputOf, phaseBundles } from '../../lib/bundling/phase-bundles.ts';
import { PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { exampleConfig } from '../support/config.ts';
import { type Synthesis, synth } from '../support/synth.ts';

/** The module that reads process.env.BATON_CONFIG, as esbuild names it in a metafile (relative to the working directory). */
const CONFIG_MODULE = join('lambdas', 'shared', 'runtime-config.ts');

/** Whether the bundle of a phase's handler contains code of the config module (tree-shaken, as the stack bundles it). */
function bundleReadsConfig(phase: PhaseName): boolean {
  return (bundleOutputOf(phaseBundles(), phase).inputs[CONFIG_MODULE]?.bytesInOutput ?? 0) > 0;
}

interface FunctionResource {
  readonly Properties: { readonly Environment?: { readonly Variables?: Record<string, unknown> } };
}

describe('the pipeline config in the phase bundles', () => {
  let readers: PhaseName[];

  beforeAll(() => {
    readers = PHASE_NAMES.filter(bundleReadsConfig);
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

  it.each(PHASE_NAMES)('carries no zod locale but English in the bundle of %s', (phase) => {
    expect(bundleContents(phaseBundles(), phase).zodLocales).toEqual([ZOD_DEFAULT_LOCALE]);
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

      // Act: the esbuild define the function's bundle needs (bundling itself is skipped in this synthesis).
      const define = synthesis.stack.phases.bundlingDefines[phase];

      // Assert
      expect(define).toEqual(
        readers.includes(phase) ? { 'process.env.BATON_CONFIG': JSON.stringify(JSON.stringify(exampleConfig())) } : undefined,
      );
      expect(fn.node.id).toBe(phase);
    });
  });
});
