/** Faults in the service's alarms, at the moments the gates read them. */
import { STATE_NAMES as S } from '../../lib/constructs/state-names.ts';
import type { SimulationContext } from '../context.ts';
import { afterShift, beforeRetire, type Fault } from './fault.ts';

/** Sets the service's first alarm as the deployment enters `state`. */
function alarmOnEntering(ctx: SimulationContext, state: string, alarm: 'ALARM' | 'INSUFFICIENT_DATA', reason: string): void {
  ctx.onStateEntered.push((entered) => {
    if (entered === state) ctx.setAlarm(0, alarm, reason);
  });
}

export const ALARM_FAULTS: Record<string, Fault> = {
  'alarm-at-verify': {
    description: 'A service alarm goes to ALARM once the new colour is stable: verify fails before any traffic moves; rolled back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      alarmOnEntering(ctx, S.verify, 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).');
    },
  },
  'alarm-during-bake': {
    description: 'A service alarm goes to ALARM during the bake at 100 %: the deployment rolls back to the old colour.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      alarmOnEntering(ctx, S.checkBake, 'ALARM', 'Threshold Crossed: 3 datapoints were greater than the threshold (5.0).');
    },
  },
  'alarm-during-shift': {
    description:
      'A service alarm fires 45 s after traffic first moves (use a canary or linear strategy to be holding at a step): the next gate check rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      afterShift(ctx, 1, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
  'alarm-during-hold': {
    description:
      'A service alarm enters ALARM 10 s into the first traffic hold (use a canary or linear strategy): its CloudWatch event reaches the signal function, and the hold watching it reads the signal within a second and rolls back.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      afterShift(ctx, 1, 10_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 1 datapoint [14.2] was greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
  'alarm-insufficient-data': {
    description:
      'A service alarm goes to INSUFFICIENT_DATA when the new colour is verified: with the default insufficientDataPolicy "pass" the deployment succeeds.',
    expected: 'SUCCEEDED',
    apply(ctx) {
      alarmOnEntering(ctx, S.verify, 'INSUFFICIENT_DATA', 'Insufficient Data: 1 datapoint was unknown.');
    },
  },
  'alarm-before-retire': {
    description:
      'A service alarm fires 45 s into "Wait before retiring old colour": the next gate check rolls back to the old colour, which was never scaled to 0.',
    expected: 'ROLLED_BACK',
    apply(ctx) {
      beforeRetire(ctx, 45_000, () =>
        ctx.setAlarm(0, 'ALARM', 'Threshold Crossed: 2 datapoints [9.1, 11.4] were greater than the threshold (5.0).', ctx.model.now),
      );
    },
  },
};
