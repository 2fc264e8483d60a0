/**
 * The dashboard of the synthesized stack for the example config: its graphs
 * and the metrics they show. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthExample } from '../../support/example.ts';
import { resolveToString, type Synthesis } from '../../support/synth.ts';

interface DashboardWidget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly metrics?: unknown[][];
  };
}

describe('observability of the stack for the example config', () => {
  let synthesis: Synthesis;
  let stateMachine: string;
  let dashboard: string;

  beforeAll(() => {
    ({ synthesis, stateMachine, dashboard } = synthExample());
  });

  describe('dashboard', () => {
    let body: { widgets: DashboardWidget[] };
    let bodyText: string;

    beforeAll(() => {
      const dashboards = Object.values(synthesis.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
        Properties: { DashboardBody: unknown };
      }>;
      if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
      bodyText = resolveToString(dashboards[0]?.Properties.DashboardBody);
      body = JSON.parse(bodyText) as { widgets: DashboardWidget[] };
    });

    it('is exactly one dashboard named baton-production', () => {
      // Act
      const dashboards = synthesis.template.findResources('AWS::CloudWatch::Dashboard');

      // Assert
      expect(Object.keys(dashboards)).toEqual([dashboard]);
      synthesis.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: 'baton-production',
        DashboardBody: { 'Fn::Join': ['', Match.anyValue()] },
      });
    });

    it('has the outcome, duration, rollback-rate, phase-duration, executions and releases graphs', () => {
      // Act
      const titles = body.widgets.flatMap((widget) => (widget.properties.title ? [widget.properties.title] : []));

      // Assert
      expect(titles).toEqual([
        'Deployments per hour, by outcome',
        'Deployment duration (seconds)',
        'Rollback rate (% of deployments that reached production)',
        'Phase duration (seconds, average)',
        'Executions',
        'Multi-service releases per hour, by outcome',
      ]);
    });

    it('graphs every outcome metric and the deployment duration of the web service, and the release outcomes, in the Baton namespace', () => {
      // Act
      const batonMetrics = body.widgets
        .flatMap((widget) => widget.properties.metrics ?? [])
        .filter((line) => line[0] === 'Baton')
        .map((line) => line.slice(0, 4).join(' '));

      // Assert
      expect([...new Set(batonMetrics)].sort()).toEqual(
        [
          'DeploymentSucceeded',
          'DeploymentRolledBack',
          'DeploymentRollbackFailed',
          'DeploymentRejected',
          'DeploymentDuplicate',
          'DeploymentSuperseded',
          'DeploymentQueued',
          'DeploymentDuration',
        ]
          .map((name) => `Baton ${name} service web`)
          .concat(
            ['ReleaseSucceeded', 'ReleaseRolledBack', 'ReleaseRollbackFailed', 'ReleaseRejected'].map(
              (name) => `Baton ${name} service release`,
            ),
          )
          .sort(),
      );
    });

    it('computes the rollback rate from the succeeded, rolled-back and rollback-failed counts', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Rollback rate (% of deployments that reached production)');

      // Assert
      expect(widget?.properties.metrics).toEqual([
        [
          {
            label: 'web rollback rate %',
            expression: '100 * (FILL(rb0, 0) + FILL(rbf0, 0)) / MAX([FILL(s0, 0) + FILL(rb0, 0) + FILL(rbf0, 0), 1])',
            period: 3600,
          },
        ],
        ['Baton', 'DeploymentSucceeded', 'service', 'web', { id: 's0', visible: false, period: 3600, stat: 'Sum' }],
        ['Baton', 'DeploymentRolledBack', 'service', 'web', { id: 'rb0', visible: false, period: 3600, stat: 'Sum' }],
        ['Baton', 'DeploymentRollbackFailed', 'service', 'web', { id: 'rbf0', visible: false, period: 3600, stat: 'Sum' }],
      ]);
    });

    it('searches the PhaseDuration metrics of every phase and service', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Phase duration (seconds, average)');

      // Assert
      expect(widget?.properties.metrics).toEqual([
        [{ expression: `SEARCH('{Baton,phase,service} MetricName="PhaseDuration"', 'Average', 3600)`, period: 3600 }],
      ]);
    });

    it('graphs the executions of the state machine', () => {
      // Act
      const widget = body.widgets.find((w) => w.properties.title === 'Executions');

      // Assert
      expect(widget?.properties.metrics).toEqual(
        ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => [
          'AWS/States',
          name,
          'StateMachineArn',
          `\${${stateMachine}}`,
          { period: 3600, stat: 'Sum' },
        ]),
      );
      expect(bodyText).not.toContain('undefined');
    });
  });
});
