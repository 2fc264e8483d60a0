/**
 * Any non-zero weight is production traffic: a listener that sends 0.5 % to
 * a colour is split, and no deployment starts from it (it would replace that
 * colour's tasks while they serve real users).
 */
import { describe, expect, it } from 'vitest';
import { productionListenerOf, targetGroupOf } from '../../lambdas/shared/service-resources.ts';
import { exampleConfig } from '../support/config.ts';
import { record, run } from '../support/simulation.ts';

describe('a production listener with a sliver of traffic on the idle colour', () => {
  it.each([
    [995, 5],
    [999, 1],
    [199, 1],
  ])('blue %i / green %i: REJECTED as split before any change', async (blue, green) => {
    // Arrange
    const web = exampleConfig().services[0];
    if (!web) throw new Error('no service');

    // Act
    const result = await run({
      setup: (ctx) => {
        const listener = ctx.model.listeners[productionListenerOf(web)];
        if (listener) listener.forward = { [targetGroupOf(web.blue)]: blue, [targetGroupOf(web.green)]: green };
      },
    });

    // Assert
    expect(record(result)?.status).toBe('REJECTED');
    expect(String(record(result)?.outcomeReason)).toContain(`is split blue 99 % / green 1 %`);
    expect(result.model.listeners[productionListenerOf(web)]?.forward).toEqual({
      [targetGroupOf(web.blue)]: blue,
      [targetGroupOf(web.green)]: green,
    });
    expect(
      result.apis.calls.filter((call) => ['UpdateService', 'ModifyListener', 'RegisterTaskDefinition'].includes(call.operation)),
    ).toEqual([]);
  });
});
