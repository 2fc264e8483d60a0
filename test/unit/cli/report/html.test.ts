/**
 * `baton report`'s page, from a record and history events: the weight step
 * lines, the rollback and bad-signal markers, the fallbacks for records that
 * predate the weight history, escaping, and nothing that loads.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../../cli/report/html.ts';
import type { DeploymentView } from '../../../../cli/views.ts';
import { at, entered, exited, lambdaFailed } from '../../../support/history-events.ts';
import { weightPoints } from '../../../support/report-page.ts';

const RECORD: DeploymentView = {
  deploymentId: 'web-v1_4_2-20261123T090000Z',
  service: 'web',
  status: 'ROLLED_BACK',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z',
  startedAt: at(0).toISOString(),
  endedAt: at(600).toISOString(),
  trigger: 'cli',
  requestedBy: 'alice',
  imageTag: 'v1.4.2',
  strategy: 'canary',
  liveColour: 'blue',
  targetColour: 'green',
  failedPhase: 'Shift traffic',
  outcomeReason: 'GateFailedError: gate failed while holding green at 25 %: alarm web-5xx-rate is ALARM',
  evidence: ['failed in: Shift traffic', 'rollback: traffic moved from blue 75 % / green 25 % back to 100 % blue'],
};

/** A canary at 25 % from 09:05:00, the alarm caught at 09:07:30, traffic back at 09:07:30: as the record keeps it. */
const WEIGHT_CHANGES = [
  { at: at(300).toISOString(), blue: 75, green: 25, phase: 'shiftTraffic', step: 1, of: 2 },
  { at: at(450).toISOString(), blue: 100, green: 0, phase: 'rollback' },
];

const SHIFT_OUTPUT = { live: { colour: 'blue' }, idle: { colour: 'green' }, traffic: { weight: 25 } };

/** The same run's history: Verify, a shift to 25 %, a failed gate check at 09:07:30, Roll back done at 09:07:45. */
const EVENTS: HistoryEvent[] = [
  entered('Verify new colour', 290),
  exited('Verify new colour', {}, 295),
  entered('Shift traffic', 295),
  exited('Shift traffic', SHIFT_OUTPUT, 300),
  entered('Wait between traffic steps', 300, 'WaitStateEntered'),
  exited('Wait between traffic steps', SHIFT_OUTPUT, 450, 'WaitStateExited'),
  entered('Shift traffic', 450),
  lambdaFailed('GateFailedError', 450),
  exited('Shift traffic', { ...SHIFT_OUTPUT, error: { Error: 'GateFailedError' } }, 450),
  entered('Roll back', 450),
  exited('Roll back', { ...SHIFT_OUTPUT, rollback: { stage: 'done' } }, 465),
];

/**
 * The chart spans 09:00:00 to 09:10:00 and 4 % more (624 s) over the plot's 840 units from x = 230:
 * 09:05:00 is at 230 + 300 / 624 * 840 = 633.8, 09:07:30 at 835.8, the end at 1070. Weights: 100 % at
 * y = 40, 0 % at 190, so 75 % at 77.5 and 25 % at 152.5.
 */
const BLUE_POINTS = '230,40 633.8,40 633.8,77.5 835.8,77.5 835.8,40 1070,40';
const GREEN_POINTS = '230,190 633.8,190 633.8,152.5 835.8,152.5 835.8,190 1070,190';

describe('renderReport', () => {
  it("draws each colour's weight as a step line through the record's weight changes, and the rollback marker at its change", () => {
    // Act
    const page = renderReport({ record: { ...RECORD, weightChanges: WEIGHT_CHANGES }, events: EVENTS });

    // Assert
    expect(weightPoints(page, 'blue')).toBe(BLUE_POINTS);
    expect(weightPoints(page, 'green')).toBe(GREEN_POINTS);
    expect(page).toContain(
      '<g class="marker rollback"><title>rollback at 09:07:30 UTC: traffic back on the old colour</title><line x1="835.8" y1="30" x2="835.8" y2="310"',
    );
    expect(page).toMatch(/<g class="marker rollback">.*<text [^>]*>rollback<\/text><\/g>/);
    expect(page).toContain('<p class="rollback">Rollback at 2026-11-23 09:07:30 UTC: traffic back to 100 % blue.</p>');
    expect(page).toContain('From the record&#39;s weight changes');
    expect(page).toContain('<tr><td>2026-11-23 09:05:00 UTC</td><td>75 %</td><td>25 %</td><td>shiftTraffic</td><td>1/2</td></tr>');
  });

  it('marks the first bad signal at the failed state, the failed gate check and the failed bar', () => {
    // Act
    const page = renderReport({ record: { ...RECORD, weightChanges: WEIGHT_CHANGES }, events: EVENTS });

    // Assert
    expect(page).toContain('<g class="marker signal"><title>first bad signal at 09:07:30 UTC in Shift traffic: GateFailedError</title>');
    expect(page).toContain('<p class="signal">At 2026-11-23 09:07:30 UTC in <strong>Shift traffic</strong>: GateFailedError</p>');
    // Verify, the shift to 25 %, the failed check: three gate checks, one failed.
    expect(page.match(/<line class="gate[ "]/g)).toHaveLength(3);
    expect(page.match(/<line class="gate failed"/g)).toHaveLength(1);
    expect(page).toContain(
      '<p>3 gate checks (Verify new colour, Shift traffic, Check bake, Check before retiring old colour), 1 failed.</p>',
    );
    expect(page).toContain('<text class="label failed" x="222" y="269" text-anchor="end">Shift traffic</text>');
    expect(page.match(/<rect class="bar failed"/g)).toHaveLength(1);
  });

  it("reads the weights from the execution history's Shift traffic and Roll back outputs for a record without weight changes", () => {
    // Act
    const page = renderReport({ record: RECORD, events: EVENTS });

    // Assert: the same split, at the times those states ended (the rollback's at 09:07:45, 465 s: x = 856).
    expect(page).toContain('Read from the execution history&#39;s Shift traffic and Roll back outputs');
    expect(weightPoints(page, 'blue')).toBe('230,40 633.8,40 633.8,77.5 856,77.5 856,40 1070,40');
    expect(page).toContain('<tr><td>2026-11-23 09:07:45 UTC</td><td>100 %</td><td>0 %</td><td>rollback</td><td></td></tr>');
    expect(page).toContain('<p>Strategy canary; its steps are not recorded (this record predates the plan).</p>');
  });

  it('says there is no weight history when neither the record nor the history has one', () => {
    // Act
    const page = renderReport({
      record: { ...RECORD, liveColour: undefined, targetColour: undefined },
      events: [],
      historyMissing: 'Step Functions no longer has the execution',
    });

    // Assert
    expect(page).toContain('>no weight history recorded</text>');
    expect(page).toContain('No weight history recorded: the record has no weight changes');
    expect(page).not.toContain('<polyline');
    expect(page).toContain('The execution history is not in this report: Step Functions no longer has the execution.');
  });

  it("lists the strategy's plan and the evidence", () => {
    // Act
    const page = renderReport({
      record: {
        ...RECORD,
        plan: {
          strategy: 'canary',
          steps: [
            { weight: 25, pauseSeconds: 300 },
            { weight: 100, pauseSeconds: 0 },
          ],
          bakeSeconds: 600,
          gateIntervalSeconds: 30,
        },
      },
      events: EVENTS,
    });

    // Assert
    expect(page).toContain('<p>canary: 2 steps, then a 600 s bake; gates checked every 30 s.</p>');
    expect(page).toContain('<tr><td>1</td><td>25 %</td><td>300 s</td></tr>');
    expect(page).toContain(
      '<ul class="evidence">\n<li>failed in: Shift traffic</li>\n<li>rollback: traffic moved from blue 75 % / green 25 % back to 100 % blue</li>\n</ul>',
    );
  });

  it("lists each step's analysis of the new colour against the old, and leaves the section out without one", () => {
    // Arrange
    const analyses = [
      {
        step: 1,
        weight: 10,
        at: at(900).toISOString(),
        verdict: 'not-worse' as const,
        newRequests: 5321,
        oldRequests: 48745,
        errorRate: {
          newRate: 0.006013907160308213,
          oldRate: 0.00545696994563545,
          margin: 0.002,
          z: -1.2986541046329145,
          pValue: 0.9029686693973629,
        },
        latency: { percentile: 'p99', marginPercent: 5, u: 39, pValue: 0.5, newMinutes: 9, oldMinutes: 9 },
        words: 'the new colour is not worse than the old: ...',
      },
    ];

    // Act
    const page = renderReport({ record: { ...RECORD, analyses }, events: EVENTS });
    const without = renderReport({ record: RECORD, events: EVENTS });

    // Assert
    expect(page).toContain('<h2>The new colour judged against the old</h2>');
    expect(page).toContain(
      '<tr><td>1</td><td>10 %</td><td>not-worse</td><td>5321 / 48745</td><td>0.60 % / 0.55 %</td><td>0.903</td><td>p99: 0.500</td></tr>',
    );
    expect(without).not.toContain('judged against the old');
  });

  it("lists each colour's scaling before and after, and every change, and leaves the section out without autoscaling", () => {
    // Arrange
    const suspended = { dynamicScalingIn: false, dynamicScalingOut: false, scheduledScaling: false };
    const policies = [{ name: 'cpu-60', type: 'TargetTrackingScaling' as const, targetTracking: { TargetValue: 60 } }];
    const blue = { registered: true as const, min: 2, max: 10, suspended, policies };
    const green = { registered: true as const, min: 0, max: 0, suspended, policies };
    const scaling = {
      before: { blue, green },
      changes: ['deploy: web-blue: scale-in suspended', 'rollback: web-blue: min 2, max 10, policies cpu-60, as before'],
      after: { blue, green },
    };

    // Act
    const page = renderReport({ record: { ...RECORD, scaling }, events: EVENTS });
    const without = renderReport({ record: RECORD, events: EVENTS });

    // Assert
    expect(page).toContain('<h2>The colours&#39; scaling</h2>');
    expect(page).toContain('<tr><td>blue</td><td>min 2, max 10, policies cpu-60</td><td>min 2, max 10, policies cpu-60</td></tr>');
    expect(page).toContain('<li>deploy: web-blue: scale-in suspended</li>');
    expect(without).not.toContain('scaling');
  });

  it('escapes every record field: a <script> in the reason is text, not a script', () => {
    // Act
    const page = renderReport({
      record: { ...RECORD, reason: '<script>alert("x")</script>', imageTag: 'v1"><img src=x>', evidence: ['<b>&</b>'] },
      events: EVENTS,
    });

    // Assert
    expect(page).not.toMatch(/<script|<img|<b>/i);
    expect(page).toContain('<dd class="reason">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</dd>');
    expect(page).toContain('<li>&lt;b&gt;&amp;&lt;/b&gt;</li>');
  });

  it('loads nothing: no script, stylesheet, image, font or frame, and a policy that forbids any load', () => {
    // Act
    const page = renderReport({ record: { ...RECORD, weightChanges: WEIGHT_CHANGES }, events: EVENTS });

    // Assert
    expect(page).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|\ssrc=|url\(|@import|@font-face/i);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
    // The only link is one to click: the execution in the Step Functions console.
    expect(page.match(/href="[^"]*"/g)).toEqual([
      'href="https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:baton-production:web-v1_4_2-20261123T090000Z"',
    ]);
  });
});
