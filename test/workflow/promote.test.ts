/**
 * Issue 19, item 2: a traffic step that waits for `baton promote`. The hold
 * is watched like any other (the gates every gate interval, the events and the
 * operator's promotion every second); the simulation's operator makes the
 * CLI's own write (sim/operator.ts), authorized against the stack's operator
 * policy. Every run's invariants are checked (test/support/simulation.ts).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatonConfigSchema } from '../../lambdas/shared/config-schema.ts';
import { HISTORY_EVENT_LIMIT } from '../../lambdas/shared/history-budget.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { ROOT, rawExampleConfig, THREE_SERVICES_ACCOUNT_PATH, THREE_SERVICES_CONFIG_PATH } from '../support/config.ts';
import { NEW_TAG, ROLLED_BACK, record, repeat, run, VERIFIED, weights } from '../support/simulation.ts';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/Deployer/alice';
/** Green waits at 10 % for promotion (at most `timeoutSeconds`), then holds 50 % for 60 s, then 100 %. */
function waitingAt10(fields: Record<string, unknown> = {}) {
  return {
    service: 'web',
    imageTag: NEW_TAG,
    strategy: {
      type: 'steps',
      steps: [
        { weight: 10, pause: 'approval', timeoutSeconds: 3_600, ...fields },
        { weight: 50, pauseSeconds: 60 },
      ],
    },
  };
}
const SHIFT = ['Shift traffic', 'Is traffic fully shifted?'];
const DONE = [
  'Check bake',
  'Is bake over?',
  'Check before retiring old colour',
  'Is it time to retire old colour?',
  'Complete deployment',
  'Deployment succeeded',
];
/** The example's timeline: the first traffic step is written 45.225 s in. */
const FIRST_STEP_AT = '2026-11-23T09:00:45.225Z';
const at = (seconds: number) => new Date(Date.parse(FIRST_STEP_AT) + seconds * 1000).toISOString();

type Change = { at: string; blue: number; green: number; step?: number };
const changes = (result: Awaited<ReturnType<typeof run>>) =>
  ((record(result)?.weightChanges ?? []) as Change[]).map(({ at, green, step }) => [at, green, step]);

describe('a step that waits for baton promote', () => {
  it('holds 10 % until the operator promotes it, announces the wait once, records who promoted, then goes on', async () => {
    // Act: the operator promotes 120 s into the wait
    const result = await run({ input: waitingAt10(), promote: { afterSeconds: 120 } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...repeat(SHIFT, 3), ...DONE]);
    expect(weights(result)).toEqual({ blue: 0, green: 100 });
    // The promotion is read within a second; the next step 25 ms later (a Lambda round trip).
    expect(changes(result)).toEqual([
      [FIRST_STEP_AT, 10, 1],
      [at(120.025), 50, 2],
      [at(180.025), 100, 3],
    ]);
    const stored = record(result) ?? {};
    expect(stored.promotions).toEqual([
      { step: 1, weight: 10, full: false, by: ALICE, at: at(120), reason: 'simulated operator, 120 s into the wait' },
    ]);
    expect(stored).not.toHaveProperty('awaitingPromotion');
    const waits = result.model.notifications.filter((n) => n.subject.includes('waits for promotion'));
    expect(waits.map((n) => n.subject)).toEqual(['Baton: web v1.4.2 waits for promotion at 10 %']);
    expect(waits[0]?.message).toContain(
      `next: run "baton promote web" for the next step, "baton promote web --full" to go to 100 % (the gates and the bake still run), or "baton abort web --reason <why>" to roll back; at ${at(3_600)} it rolls back by itself`,
    );
    expect(result.promotions).toEqual([{ at: Date.parse(at(120)), service: 'web' }]);
  });

  it('goes straight to 100 % on baton promote --full, the bake still run', async () => {
    // Act
    const result = await run({ input: waitingAt10(), promote: { afterSeconds: 120, full: true } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...repeat(SHIFT, 2), ...DONE]);
    expect(changes(result)).toEqual([
      [FIRST_STEP_AT, 10, 1],
      [at(120.025), 100, 3],
    ]);
    expect(record(result)?.outcomeReason).toBe('v1.4.2 live on green (web-green) after a 300 s bake');
  });

  it('rolls back when nobody promotes it in time (onTimeout "rollback", the default), the wait gone from the record', async () => {
    // Act
    const result = await run({ input: waitingAt10({ timeoutSeconds: 600 }) });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...SHIFT, 'Shift traffic', 'Shift traffic failed', ...ROLLED_BACK]);
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    const stored = record(result) ?? {};
    expect(stored.status).toBe('ROLLED_BACK');
    expect(stored.outcomeReason).toBe(
      `PromotionTimeoutError: nobody ran "baton promote web" while green held 10 % (until ${at(600)}): the step's onTimeout is "rollback"`,
    );
    expect(stored).not.toHaveProperty('awaitingPromotion');
    expect(changes(result)).toEqual([
      [FIRST_STEP_AT, 10, 1],
      [at(600.025), 0, undefined],
    ]);
  });

  it('goes on by itself when nobody promotes it in time and onTimeout is "proceed"', async () => {
    // Act
    const result = await run({ input: waitingAt10({ timeoutSeconds: 600, onTimeout: 'proceed' }) });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(changes(result)).toEqual([
      [FIRST_STEP_AT, 10, 1],
      [at(600), 50, 2],
      [at(660), 100, 3],
    ]);
    expect(record(result)?.promotions).toBeUndefined();
  });

  it('rolls back at once on an alarm during the wait: a promotion never skips a gate', async () => {
    // Act: the alarm enters ALARM 10 s into the wait; the operator would promote at 120 s
    const result = await run({ input: waitingAt10(), faults: ['alarm-during-hold'], promote: { afterSeconds: 120 } });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(weights(result)).toEqual({ blue: 100, green: 0 });
    expect(record(result)?.outcomeReason).toMatch(
      /^GateFailedError: gate failed while holding green at 10 %: alarm web-5xx-rate entered ALARM/,
    );
    expect(result.promotions).toEqual([]);
  });
});

describe('a manual canary of days', () => {
  it('waits 26 h for baton promote in one execution, far under the history limit', { timeout: 300_000 }, async () => {
    // Arrange: a wait of up to 2 days; the execution may last 3
    const raw = rawExampleConfig() as { pipeline: Record<string, unknown> };
    raw.pipeline.executionTimeoutSeconds = 259_200;
    const config = BatonConfigSchema.parse(raw);

    // Act
    const result = await run({ config, input: waitingAt10({ timeoutSeconds: 172_800 }), promote: { afterSeconds: 93_600 } });

    // Assert: 93,600 s watched by invocations of up to 840 s: 112 of them after the one that applied 10 %
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.main.executionPath).toEqual([...VERIFIED, ...repeat(SHIFT, 1 + 112 + 1), ...DONE]);
    expect(changes(result).map(([, green]) => green)).toEqual([10, 50, 100]);
    expect(result.main.historyEvents).toBeLessThan(18_750);
    expect(result.main.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT);
  });
});

describe('a release whose steps wait for baton promote', () => {
  const release = (shift: 'each' | 'together') => ({
    ...(JSON.parse(readFileSync(join(ROOT, 'examples', 'three-services', 'release.json'), 'utf8')) as Record<string, unknown>),
    shift,
    strategy: {
      type: 'steps',
      steps: [
        { weight: 10, pause: 'approval', timeoutSeconds: 3_600 },
        { weight: 50, pauseSeconds: 60 },
      ],
    },
  });
  const config = () => loadConfig(THREE_SERVICES_CONFIG_PATH);
  const account = () => AccountSchema.parse(JSON.parse(readFileSync(THREE_SERVICES_ACCOUNT_PATH, 'utf8')));

  it('with shift "each": every service waits, is promoted by name, and succeeds', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: release('each'), promote: { afterSeconds: 120 } });

    // Assert
    expect(result.main.status).toBe('SUCCEEDED');
    expect(result.promotions.map((promotion) => promotion.service).sort()).toEqual(['api', 'web', 'worker']);
    for (const service of ['api', 'web', 'worker']) {
      const stored = result.model.table.get(`DEPLOYMENT#${result.main.name}-${service}|RECORD`) ?? {};
      expect([service, stored.status, (stored.promotions as unknown[] | undefined)?.length]).toEqual([service, 'SUCCEEDED', 1]);
    }
  });

  it('with shift "together": refused before any change, naming the field and what works instead', async () => {
    // Act
    const result = await run({ config: config(), account: account(), input: release('together') });

    // Assert
    expect(result.main.status).toBe('FAILED');
    expect(result.main.cause).toBe(
      'release 2026-11-22.1 rejected before any change: InvalidInputError: invalid release input: strategy: shift "together" holds every service for the same time; a step that waits for "baton promote" ("pause": "approval") works with shift "each", where each service is promoted by name',
    );
    expect(result.promotions).toEqual([]);
  });
});
