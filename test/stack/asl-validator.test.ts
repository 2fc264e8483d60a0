/**
 * The synthesized state machine is valid Amazon States Language as
 * asl-validator checks it (JSON schema, transitions, terminal states,
 * duplicate state names, JSONPath syntax, Resource ARNs): for the example
 * config and for the three-service example with its release branch.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { EXAMPLE_CONFIG_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { resolveToString, synth } from '../support/synth.ts';

/** asl-validator's API (README "In your code"); the package ships no type declarations. */
type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
) => { readonly isValid: boolean; readonly errors: ReadonlyArray<{ readonly 'Error code': string; readonly Message: string }> };

const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

/**
 * The DefinitionString of the stack's state machine as Step Functions receives
 * it: the intrinsics resolved for the config's account and region (a Lambda
 * Task's Resource becomes the function's ARN).
 */
function deployedDefinition(configPath: string): unknown {
  const config = loadConfig(configPath);
  const { template } = synth(config);
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Array<{
    Properties: { DefinitionString: unknown };
  }>;
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const { account, region } = config.pipeline;
  const pseudo: Record<string, string> = { Partition: 'aws', Region: region, AccountId: account };
  const text = resolveToString(machines[0]?.Properties.DefinitionString)
    .replace(/\$\{AWS::(Partition|Region|AccountId)\}/g, (match, name: string) => pseudo[name] ?? match)
    .replace(/\$\{([A-Za-z0-9]+)\.Arn\}/g, (_match, logicalId: string) => `arn:aws:lambda:${region}:${account}:function:${logicalId}`)
    // A Task invokes its function's current version (Ref of an AWS::Lambda::Version: the qualified ARN).
    .replace(
      /\$\{([A-Za-z0-9]+CurrentVersion[A-Za-z0-9]+)\}/g,
      (_match, logicalId: string) => `arn:aws:lambda:${region}:${account}:function:${logicalId}:1`,
    );
  const unresolved = text.match(/\$\{[^}]*\}/g);
  if (unresolved) throw new Error(`unresolved references in the definition: ${[...new Set(unresolved)].join(', ')}`);
  return JSON.parse(text) as unknown;
}

describe.each([
  ['the example config', EXAMPLE_CONFIG_PATH],
  ['examples/three-services', THREE_SERVICES_CONFIG_PATH],
])('the state machine of %s', (_name, configPath) => {
  let definition: unknown;

  beforeAll(() => {
    definition = deployedDefinition(configPath);
  });

  it('passes asl-validator with zero errors, paths and ARNs checked', () => {
    // The validator fills in QueryLanguage: it gets a copy.
    const result = validateAsl(structuredClone(definition), { checkPaths: true, checkArn: true });

    expect(result.errors.map((error) => `${error['Error code']}: ${error.Message}`)).toEqual([]);
    expect(result.isValid).toBe(true);
  });
});

describe('asl-validator as wired here', () => {
  it('reports a definition whose transition leads nowhere (so a pass above means something)', () => {
    const broken = { StartAt: 'Start', States: { Start: { Type: 'Pass', Next: 'Nowhere' } } };

    const result = validateAsl(broken, { checkPaths: true, checkArn: true });

    expect(result.isValid).toBe(false);
    expect(result.errors.map((error) => error['Error code'])).toContain('MISSING_TRANSITION_TARGET');
  });
});
