/**
 * Least privilege on the deployment table: the DynamoDB actions each
 * function's role is granted are exactly those it calls. The simulation
 * authorizes every call against the template's policies and records what
 * each role exercised; over scenarios that take every table path (success,
 * rollback, rejection, a stale lock taken over, a recovery, releases that
 * succeed and roll back), granted and exercised match, function by function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import type { SimulationResult } from '../../sim/harness.ts';
import { exampleConfig, ROOT, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { run } from '../support/simulation.ts';

/** Per function, `granted` or `exercised` DynamoDB actions, sorted. */
function tableActions(results: SimulationResult[], of: 'granted' | 'exercised'): Record<string, string[]> {
  const actions: Record<string, Set<string>> = {};
  for (const result of results) {
    for (const [phase, fn] of Object.entries(result.functions)) {
      const entries = of === 'granted' ? result.iam.granted(fn.roleLogicalId) : [...result.iam.exercised];
      const set = actions[phase] ?? new Set<string>();
      actions[phase] = set;
      for (const entry of entries) {
        const [role, action] = entry.split(' ');
        if (role === fn.roleLogicalId && action?.startsWith('dynamodb:')) set.add(action);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(actions)
      .filter(([, set]) => set.size > 0)
      .map(([phase, set]) => [phase, [...set].sort()])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
}

const LOCK_READ = 'reads the lock only when its lease renewal failed, to name the holder (LockLostError, phase.ts)';
// checkBake, complete, shiftTraffic, shiftTogether and verify read the lock at every gate check (its event-driven signal, signals.ts).

/** Granted table actions the scenarios do not exercise: the path that calls each. */
const UNEXERCISED: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  backstop: { 'dynamodb:UpdateItem': 'closes a record only for an execution stopped before it wrote one, or after the last recovery' },
  checkStability: { 'dynamodb:GetItem': LOCK_READ },
  deploy: { 'dynamodb:GetItem': LOCK_READ },
  finishRelease: { 'dynamodb:DeleteItem': 'frees the locks of a rejected release (closeRejected)' },
  planRelease: {
    'dynamodb:DeleteItem': 'gives back the locks it took when a later one is held (all or none)',
    'dynamodb:GetItem': 'reads the holder of a refused lock, and its record',
  },
  prepare: { 'dynamodb:GetItem': LOCK_READ },
  recover: { 'dynamodb:DeleteItem': 'frees the lock of a deployment stopped before any change (test/workflow/recovery.test.ts)' },
  recordSmokeTest: { 'dynamodb:GetItem': LOCK_READ },
  requestApproval: { 'dynamodb:GetItem': LOCK_READ },
  unwindRelease: { 'dynamodb:DeleteItem': 'frees the lock of a service the release never started' },
  validate: { 'dynamodb:GetItem': 'reads the record a rollbackTo request names' },
};

describe('the table actions of each function', () => {
  it('are granted exactly as exercised over the workflow scenarios', async () => {
    // Arrange
    const release = {
      config: loadConfig(THREE_SERVICES_CONFIG_PATH),
      account: AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8'))),
      input: JSON.parse(readFileSync(join(ROOT, 'examples', 'three-services', 'release.json'), 'utf8')) as unknown,
    };

    const example = exampleConfig();
    const approving = { ...example, services: example.services.map((service) => ({ ...service, approval: true })) };

    // Act
    const results = [
      await run(),
      await run({ faults: ['alarm-during-bake'] }),
      await run({ faults: ['lock-held'] }),
      await run({ faults: ['stale-lock'] }),
      await run({ abortAt: 'Check bake' }),
      await run({ config: approving, approval: 'approve' }),
      await run(release),
      await run({ ...release, faults: ['deny:elasticloadbalancing:ModifyListener@shiftTraffic'] }),
      await run({ ...release, faults: ['lock-held@api'] }),
      await run({ ...release, abortAt: 'Check bake (release)' }),
      await run({ ...release, input: { ...(release.input as object), shift: 'together' } }),
    ];

    // Assert
    const exercised = tableActions(results, 'exercised');
    const expected = Object.fromEntries(
      Object.keys({ ...exercised, ...UNEXERCISED })
        .sort()
        .map((phase) => [phase, [...(exercised[phase] ?? []), ...Object.keys(UNEXERCISED[phase] ?? {})].sort()]),
    );
    expect(tableActions(results, 'granted')).toEqual(expected);
    // The table lists only what no scenario takes.
    const listedAndExercised = Object.entries(UNEXERCISED).flatMap(([phase, actions]) =>
      Object.keys(actions)
        .filter((action) => exercised[phase]?.includes(action))
        .map((action) => `${phase} ${action}`),
    );
    expect(listedAndExercised).toEqual([]);
  }, 600_000);
});
