/**
 * Faults in the service's alarms. A fault makes an alarm's metric breach at a
 * moment; the alarm enters ALARM when CloudWatch would, after its evaluation
 * periods (sim/account/alarm-evaluation.ts).
 */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import type { SimulationContext } from '../context.ts';
import { afterShift, beforeRetire, type Fault } from './fault.ts';

/**
 * The service's first alarm's metric says `alarm` as the deployment first enters `state`, or, `already`, has said
 * so for the alarm's evaluation periods by then: the alarm is in that state as the state reads it.
 */
function alarmOnEntering(
  ctx: SimulationContext,
  state: string,
  alarm: 'ALARM' | 'INSUFFICIENT_DATA',
  reason: string,
  already = false,
): void {
  let done = false;
  ctx.onStateEntered.push((entered) => {
    if (entered !== state || done) return;
    done = true;
    ctx.setAlarm(0, alarm, reason, Date.now() - (already ? ctx.alarmEvaluationMs(0) : 0));
  });
}

export const ALARM_FAULTS: Record<string, Fault> = {
  'alarm-at-verify': {
    description:
      'A service alarm is in ALARM when the new colour is verified (its metric has breached for its evaluation periods by then): verify fails before any traffic moves; rolled back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      alarmOnEntering(ctx, S.verify, 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).', true);
    },
  },
  'alarm-during-bake': {
    description:
      "A service alarm's metric breaches as the bake at 100 % starts; the alarm enters ALARM after its evaluation periods (60 s in the example account) and its event rolls the deployment back to the old colour within about a second.",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      alarmOnEntering(ctx, S.checkBake, 'ALARM', 'Threshold Crossed: 3 datapoints were greater than the threshold (5.0).');
    },
  },
  'alarm-during-shift': {
    description:
      "A service alarm's metric breaches 45 s after traffic first moves (use a canary or linear strategy to be holding at a step); the alarm enters ALARM after its evaluation periods; its event rolls back within about a second (the next gate check would, without it).",
    expected: 'ROLLED_BACK',
    apply(ctx) {
      afterShift(ctx, 1, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
  'alarm-during-hold': {
    description:
      'A service alarm enters ALARM 10 s into the first traffic hold (use a canary or linear strategy; its metric has breached for its evaluation periods by then): its CloudWatch event reaches the signal function, and the hold watching it reads the signal within a second and rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      afterShift(ctx, 1, 10_000, () =>
        ctx.setAlarm(
          0,
          'ALARM',
          'Threshold Crossed: 1 datapoint [14.2] was greater than the threshold (5.0).',
          ctx.model.now - ctx.alarmEvaluationMs(0),
        ),
      );
    },
  },
  'alarm-insufficient-data': {
    description:
      'A service alarm is INSUFFICIENT_DATA when the new colour is verified: with the default insufficientDataPolicy "pass" the deployment succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      alarmOnEntering(ctx, S.verify, 'INSUFFICIENT_DATA', 'Insufficient Data: 1 datapoint was unknown.', true);
    },
  },
  'alarm-before-retire': {
    description:
      'A service alarm\'s metric breaches 45 s into "Check before retiring old colour"; the alarm enters ALARM after its evaluation periods; its event rolls back within about a second to the old colour, which was never scaled to 0.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      beforeRetire(ctx, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
};
