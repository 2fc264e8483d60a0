/**
 * The dashboard of the synthesized stack for the example config: its graphs
 * and the metrics they show. One synthesis (without bundling).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load.ts';
import { loadBalancerDimension, targetGroupDimension } from '../../../lib/constructs/dashboard-rows.ts';
import { PHASE_NAMES } from '../../../lib/constructs/phases.ts';
import { ACCOUNT, REGION, synthExample } from '../../support/example.ts';
import { logicalIdOf, resolveToString, type Synthesis, synth } from '../../support/synth.ts';
import { functionOf } from '../../support/template.ts';

/** The ALB dimensions of the example config's web service (baton.config.json): its listener's load balancer and its target groups. */
const LOAD_BALANCER = 'app/prod-alb/50dc6c495c0c9188';
const TARGET_GROUPS = { blue: 'targetgroup/web-blue/6d0ecf831eec9f09', green: 'targetgroup/web-green/8e4b6b8b3c5d2a10' };
const LINE_COLOURS = { blue: '#1f77b4', green: '#2ca02c' };

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

    it('has the outcome, duration, rollback-rate, phase-duration, executions and releases graphs, a row for the web service and one for the pipeline', () => {
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
        'web: production traffic weight (%)',
        'web: target 5xx per minute, by colour',
        'web: target response time p99 (seconds), by colour',
        'Dead-letter queues (messages visible, maximum)',
        'Phase function errors (per 5 minutes)',
      ]);
    });

    it('graphs every outcome metric, the deployment duration and the traffic weights of the web service, and the release outcomes, in the Baton namespace', () => {
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
          .concat(['Baton TrafficWeight colour blue', 'Baton TrafficWeight colour green'])
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

    describe('the row of the web service (issue 16)', () => {
      const widget = (title: string) => body.widgets.find((w) => w.properties.title === title);
      const colours = ['blue', 'green'] as const;

      it('graphs the TrafficWeight of each colour, the maximum of each minute, on a 0-100 axis', () => {
        // Act
        const weights = widget('web: production traffic weight (%)');

        // Assert
        expect(weights?.properties.metrics).toEqual(
          colours.map((colour) => [
            'Baton',
            'TrafficWeight',
            'colour',
            colour,
            'service',
            'web',
            { color: LINE_COLOURS[colour], label: colour, period: 60, stat: 'Maximum' },
          ]),
        );
        expect(weights?.properties).toMatchObject({ yAxis: { left: { min: 0, max: 100 } } });
      });

      it.each([
        ['5xx count, summed', 'web: target 5xx per minute, by colour', 'HTTPCode_Target_5XX_Count', 'Sum'],
        ['response time p99', 'web: target response time p99 (seconds), by colour', 'TargetResponseTime', 'p99'],
      ])("graphs each colour's target-group %s per minute, on the production listener's load balancer", (_, title, metricName, stat) => {
        // Act
        const graph = widget(title);

        // Assert
        expect(graph?.properties.metrics).toEqual(
          colours.map((colour) => [
            'AWS/ApplicationELB',
            metricName,
            'LoadBalancer',
            LOAD_BALANCER,
            'TargetGroup',
            TARGET_GROUPS[colour],
            { color: LINE_COLOURS[colour], label: colour, period: 60, stat },
          ]),
        );
      });
    });

    describe('the row of the pipeline (issue 16)', () => {
      it('graphs the messages visible in every dead-letter queue of the stack, the maximum of 5 minutes', () => {
        // Arrange
        const { stack } = synthesis;
        const functionQueue = stack.phases.deadLetterQueues.backstop;
        const signalQueue = stack.phases.deadLetterQueues.signal;
        if (!functionQueue || !signalQueue) throw new Error('the backstop or signal function has no dead-letter queue');
        const queues: Array<[string, { node: { defaultChild?: unknown } }]> = [
          ['ECR push rules', stack.ecrTrigger.deadLetterQueue],
          ['backstop rules', stack.backstop.deadLetterQueue],
          ['signal rules', stack.signals.deadLetterQueue],
          ['signal function', signalQueue],
          ['backstop function', functionQueue],
        ];

        // Act
        const depth = body.widgets.find((w) => w.properties.title === 'Dead-letter queues (messages visible, maximum)');

        // Assert
        expect(depth?.properties.metrics).toEqual(
          queues.map(([label, queue]) => [
            'AWS/SQS',
            'ApproximateNumberOfMessagesVisible',
            'QueueName',
            `\${${logicalIdOf(stack, queue)}.QueueName}`,
            { label, stat: 'Maximum' },
          ]),
        );
      });

      it('graphs the Lambda Errors of every phase function, summed over 5 minutes', () => {
        // Act
        const errors = body.widgets.find((w) => w.properties.title === 'Phase function errors (per 5 minutes)');

        // Assert
        expect(errors?.properties.metrics).toEqual(
          PHASE_NAMES.map((phase) => [
            'AWS/Lambda',
            'Errors',
            'FunctionName',
            `\${${functionOf(synthesis, phase)}}`,
            { label: phase, stat: 'Sum' },
          ]),
        );
        // The default period of a graph, 300 s, is left out of its lines.
        expect(errors?.properties).not.toHaveProperty('period');
      });
    });
  });
});

describe('ALB metric dimensions from the config ARNs', () => {
  it('reads the TargetGroup dimension from a target group ARN', () => {
    // Act
    const dimension = targetGroupDimension(`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/web-blue/6d0ecf831eec9f09`);

    // Assert
    expect(dimension).toBe('targetgroup/web-blue/6d0ecf831eec9f09');
  });

  it('reads the LoadBalancer dimension from a listener ARN and from a listener rule ARN alike', () => {
    // Arrange
    const arns = [
      `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/prod-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    ];

    // Act
    const dimensions = arns.map(loadBalancerDimension);

    // Assert
    expect(dimensions).toEqual([LOAD_BALANCER, LOAD_BALANCER]);
  });
});

describe('the dashboard row of a worker', () => {
  it("graphs its production weight and each colour's ECS CPU and memory, with no load balancer metric", () => {
    // Arrange
    const synthesis = synth(loadConfig('examples/worker/baton.config.json'));
    const [resource] = Object.values(synthesis.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{
      Properties: { DashboardBody: unknown };
    }>;
    const body = JSON.parse(resolveToString(resource?.Properties.DashboardBody)) as { widgets: DashboardWidget[] };

    // Act
    const row = body.widgets.filter((widget) => widget.properties.title?.startsWith('jobs: '));

    // Assert
    expect(row.map((widget) => widget.properties.title)).toEqual([
      'jobs: production traffic weight (%)',
      'jobs: CPU utilization (%), by colour',
      'jobs: memory utilization (%), by colour',
    ]);
    expect(row[1]?.properties.metrics?.map((metric) => metric.slice(0, 6))).toEqual([
      ['AWS/ECS', 'CPUUtilization', 'ClusterName', 'prod', 'ServiceName', 'jobs-blue'],
      ['AWS/ECS', 'CPUUtilization', 'ClusterName', 'prod', 'ServiceName', 'jobs-green'],
    ]);
    expect(JSON.stringify(body)).not.toContain('AWS/ApplicationELB');
  });
});
