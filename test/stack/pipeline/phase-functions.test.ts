/**
 * The phase functions of the synthesized stack for the example config: one
 * per pipeline phase, each on nodejs24.x and arm64 with active tracing and a
 * role of its own. One synthesis (without bundling).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PhaseName } from '../../../lib/constructs/phases.ts';
import { synthExample } from '../../support/example.ts';
import type { Synthesis } from '../../support/synth.ts';
import { functionOf, roleOf } from '../../support/template.ts';

/** The phases of the pipeline, one Lambda function each. */
const PHASES: PhaseName[] = [
  'initialize',
  'validate',
  'prepare',
  'deploy',
  'checkStability',
  'verify',
  'shiftTraffic',
  'checkBake',
  'complete',
  'rollback',
  'recordFailure',
];

describe('the Baton stack for the example config', () => {
  let synthesis: Synthesis;

  beforeAll(() => {
    ({ synthesis } = synthExample());
  });

  describe('phase functions', () => {
    it('has a Lambda function for each of the eleven pipeline phases', () => {
      const functions = synthesis.template.findResources('AWS::Lambda::Function');

      expect(PHASES).toHaveLength(11);
      expect(Object.keys(functions)).toEqual(expect.arrayContaining(PHASES.map((phase) => functionOf(synthesis, phase))));
    });

    it('runs every Lambda function of the stack on nodejs24.x, arm64, with active tracing', () => {
      const functions = Object.values(synthesis.template.findResources('AWS::Lambda::Function')) as Array<{ Properties: unknown }>;

      expect(functions.length).toBeGreaterThanOrEqual(11);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      }
    });

    it.each(PHASES)('runs %s on nodejs24.x, arm64, with active tracing and its own role', (phase) => {
      const id = functionOf(synthesis, phase);

      expect(synthesis.template.toJSON().Resources[id].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Role: { 'Fn::GetAtt': [roleOf(synthesis, phase), 'Arn'] },
      });
    });
  });
});
