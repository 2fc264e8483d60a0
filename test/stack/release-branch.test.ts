/**
 * The release branch of the synthesized state machine for the three-service
 * example: Map states over the waves (one at a time) and the services of a
 * wave (in parallel), the Catches that reject or roll the release back, and
 * the joint rollback one service at a time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { RELEASE_STATE_NAMES, RELEASE_SUFFIX, STATE_NAMES } from '../../lib/constructs/state-names.ts';
import { THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { stateOf } from '../support/definition.ts';
import { type AslDefinition, type AslState, stateMachineDefinition, synth } from '../support/synth.ts';

const R = RELEASE_STATE_NAMES;
const S = STATE_NAMES;
let definition: AslDefinition;

beforeAll(() => {
  definition = stateMachineDefinition(synth(loadConfig(THREE_SERVICES_CONFIG_PATH)).template);
});

function state(name: string, within: Pick<AslDefinition, 'States'> = definition): AslState {
  return stateOf(within, name);
}

function processor(map: AslState): Pick<AslDefinition, 'States'> & { StartAt: string } {
  return map.ItemProcessor as Pick<AslDefinition, 'States'> & { StartAt: string };
}

const catchAll = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];

describe('the release branch', () => {
  it('plans the release, then validates every service before any change; either failure records a rejection', () => {
    expect(state(R.planRelease)).toMatchObject({ Type: 'Task', Next: R.validateServices, Catch: catchAll(R.recordRejection) });
    const validate = state(R.validateServices);
    expect(validate).toMatchObject({ Type: 'Map', ItemsPath: '$.waves', ResultPath: '$.waves', Next: R.isDryRun });
    expect(state(R.isDryRun)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.request.dryRun', BooleanEquals: true, Next: R.describePlan }],
      Default: R.deployWaves,
    });
    expect(state(R.describePlan)).toMatchObject({
      Type: 'Pass',
      Parameters: { 'release.$': '$.request.release', 'waves.$': '$.order', 'plans.$': '$.waves[*][*].plan' },
      Next: R.dryRunPassed,
    });
    expect(validate.MaxConcurrency).toBeUndefined();
    expect(validate.Catch).toEqual(catchAll(R.recordRejection));
    const wave = processor(validate);
    expect(wave.StartAt).toBe(R.validateWave);
    expect(processor(state(R.validateWave, wave)).StartAt).toBe(`${S.validate}${RELEASE_SUFFIX}`);
    expect(state(R.recordRejection)).toMatchObject({ Type: 'Task', Next: R.rejected });
  });

  it('deploys the waves one at a time and the services of a wave in parallel, up to a verified new colour', () => {
    const waves = state(R.deployWaves);
    expect(waves).toMatchObject({ Type: 'Map', ItemsPath: '$.waves', MaxConcurrency: 1, ResultPath: '$.waves', Next: R.gatherServices });
    expect(waves.Catch).toEqual(catchAll(R.unwind));
    const wave = state(R.deployWave, processor(waves));
    expect(wave.Type).toBe('Map');
    expect(wave.MaxConcurrency).toBeUndefined();
    const service = processor(wave);
    expect(service.StartAt).toBe(`${S.prepare}${RELEASE_SUFFIX}`);
    expect(Object.keys(service.States)).toEqual(
      expect.arrayContaining([
        `${S.deploy}${RELEASE_SUFFIX}`,
        `${S.checkStability}${RELEASE_SUFFIX}`,
        `${S.verify}${RELEASE_SUFFIX}`,
        `${S.smokeTest}${RELEASE_SUFFIX}`,
        `${S.recordSmokeTest}${RELEASE_SUFFIX}`,
        `${S.waitForApproval}${RELEASE_SUFFIX}`,
        R.verified,
        'Record deployment failure',
        'Service deployment failed',
      ]),
    );
    // A failed service notes the cause in the release record, then fails its iteration with its own error.
    expect(state('Record deployment failure', service)).toMatchObject({
      Type: 'Task',
      Parameters: { kind: 'release-service-failed', 'state.$': '$' },
      Next: 'Service deployment failed',
    });
    expect(state('Service deployment failed', service)).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    expect(state(`${S.verify}${RELEASE_SUFFIX}`, service).Catch).toEqual(catchAll(`${S.verify}${RELEASE_SUFFIX} failed`));
  });

  it('gathers every service, then shifts each by its own strategy or all together', () => {
    expect(state(R.gatherServices)).toMatchObject({
      Type: 'Pass',
      Parameters: {
        'releaseId.$': '$.releaseId',
        'executionArn.$': '$.executionArn',
        'startedAt.$': '$.startedAt',
        'request.$': '$.request',
        'order.$': '$.order',
        'warnings.$': '$.warnings',
        'services.$': '$.waves[*][*]',
      },
      Next: R.isTogether,
    });
    expect(state(R.isTogether)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.request.shift', StringEquals: 'together', Next: R.shiftTogether }],
      Default: R.shiftEach,
    });
    expect(state(R.shiftEach)).toMatchObject({ Type: 'Map', ItemsPath: '$.services', ResultPath: '$.services', Next: R.bakeServices });
    expect(state(R.shiftEach).Catch).toEqual(catchAll(R.unwind));
    expect(state(R.shiftTogether)).toMatchObject({ Type: 'Task', Next: R.isShiftedTogether, Catch: catchAll(R.unwind) });
    expect(state(R.isShiftedTogether)).toMatchObject({
      Choices: [{ Variable: '$.traffic.complete', BooleanEquals: true, Next: R.bakeServices }],
      Default: R.shiftTogether,
    });
    for (const name of [R.bakeServices, R.retireOldColours]) expect(state(name).Catch).toEqual(catchAll(R.unwind));
    expect(state(R.retireOldColours).Next).toBe(R.recordSuccess);
    expect(state(R.recordSuccess)).toMatchObject({ Type: 'Task', Parameters: { kind: 'succeeded', 'state.$': '$' } });
  });

  it('rolls the services back one at a time with the single-service rollback loop, then records the verdict', () => {
    const rollBack = state(R.rollBackServices);
    expect(rollBack).toMatchObject({ Type: 'Map', ItemsPath: '$.rollbacks', MaxConcurrency: 1, ResultPath: null, Next: R.recordRollback });
    const loop = processor(rollBack);
    expect(loop.StartAt).toBe(`${S.rollback}${RELEASE_SUFFIX}`);
    expect(state(`${S.rollback}${RELEASE_SUFFIX}`, loop).Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: `${S.recordRollbackFailure}${RELEASE_SUFFIX}` },
    ]);
    expect(state(`${S.waitRetryRollback}${RELEASE_SUFFIX}`, loop)).toMatchObject({ Type: 'Wait', Seconds: 300 });
    expect(state(`${S.isRolledBack}${RELEASE_SUFFIX}`, loop)).toMatchObject({
      Choices: [{ Variable: '$.rollback.stage', StringEquals: 'done', Next: R.serviceRolledBack }],
    });
    expect(state(R.recordRollback)).toMatchObject({
      Parameters: { kind: 'rolled-back', 'state.$': '$' },
      Next: R.rolledBack,
    });
    expect(state(R.rolledBack)).toEqual({ Type: 'Fail', ErrorPath: '$.outcome.error', CausePath: '$.outcome.cause' });
  });
});
