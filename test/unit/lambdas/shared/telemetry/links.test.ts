/** The console links of an outcome: the alarms and stopped tasks its words name, in the execution's region. */
import { describe, expect, it } from 'vitest';
import { alarmConsoleUrl, outcomeLinks, taskLogsConsoleUrl } from '../../../../../lambdas/shared/telemetry/links.ts';

const ALARMS = ['web-5xx-rate', 'web p99 latency (ms)', 'web-cpu'];
const REASON =
  'GateFailedError: gate failed during the bake of green at 100 %: alarm web p99 latency (ms) is ALARM (Threshold Crossed); alarm web-5xx-rate is ALARM (Threshold Crossed)';

describe('outcomeLinks', () => {
  it('links each configured alarm the words name, in config order, once', () => {
    // Arrange: REASON as the bake gate words it.

    // Act
    const links = outcomeLinks([REASON, 'failed in: Check bake', `signal: ${REASON}`], 'eu-west-1', { alarms: ALARMS, cluster: 'prod' });

    // Assert
    expect(links).toEqual([
      {
        label: 'alarm web-5xx-rate',
        url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web-5xx-rate',
      },
      {
        label: 'alarm web p99 latency (ms)',
        url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web%20p99%20latency%20(ms)',
      },
    ]);
  });

  it('links the logs of each stopped task the words name, when the cluster is known', () => {
    // Arrange: as check stability words its failure.
    const reason =
      'DeploymentFailedError: ECS deployment circuit breaker fired for web-green: tasks failed to start.; task 0f9e8d7c6b5a49382716 stopped (EssentialContainerExited: Essential container in task exited; container web exit 1); task a1b2c3d400000007 stopped (TaskFailedToStart: CannotPullContainerError)';

    // Act
    const links = outcomeLinks([reason, `signal: ${reason}`], 'us-east-1', { alarms: ALARMS, cluster: 'prod' });

    // Assert
    expect(links).toEqual([
      {
        label: 'logs of task 0f9e8d7c6b5a49382716',
        url: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/0f9e8d7c6b5a49382716/logs?region=us-east-1',
      },
      {
        label: 'logs of task a1b2c3d400000007',
        url: 'https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/a1b2c3d400000007/logs?region=us-east-1',
      },
    ]);
  });

  it('links the alarm and the stopped task an event-driven signal names', () => {
    // Arrange: as describeSignal (lambdas/shared/signals.ts) words the events in a gate failure.
    const reasons = [
      'GateFailedError: gate failed while holding green at 10 %: alarm web p99 latency (ms) entered ALARM at 2026-11-23T09:01:10.000Z (CloudWatch event): Threshold Crossed',
      'GateFailedError: gate failed during the bake of green at 100 %: task a1b2c3d400000007 of web-green stopped at 2026-11-23T09:01:05.250Z (ECS event): EssentialContainerExited: Essential container in task exited',
      'task 0f9e8d7c6b5a49382716 of the new colour stopped at 2026-11-23T09:01:05.250Z (ECS event): EssentialContainerExited',
    ];

    // Act
    const links = outcomeLinks(reasons, 'eu-west-1', { alarms: ALARMS, cluster: 'prod' });

    // Assert
    expect(links.map((link) => link.label)).toEqual([
      'alarm web p99 latency (ms)',
      'logs of task a1b2c3d400000007',
      'logs of task 0f9e8d7c6b5a49382716',
    ]);
  });

  it('links nothing it does not know: no alarm names, no cluster', () => {
    // Arrange: no link sources.

    // Act
    const links = outcomeLinks([REASON, 'task 0f9e8d7c6b5a49382716 stopped (EssentialContainerExited)'], 'eu-west-1');

    // Assert
    expect(links).toEqual([]);
  });

  it('does not take an alarm whose name ends or starts another for one the words name', () => {
    // Act
    const links = outcomeLinks(['alarm my-5xx-rate is ALARM (x); web-5xx-rate-v2 is ALARM (y)'], 'eu-west-1', {
      alarms: ['5xx-rate', 'web-5xx-rate'],
    });

    // Assert
    expect(links).toEqual([]);
  });
});

describe('console URLs', () => {
  it('encodes names that are not URL-safe', () => {
    // Act
    const urls = [alarmConsoleUrl('web/5xx #1', 'eu-west-1'), taskLogsConsoleUrl('prod cluster', 'abc123', 'eu-west-1')];

    // Assert
    expect(urls).toEqual([
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/web%2F5xx%20%231',
      'https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod%20cluster/tasks/abc123/logs?region=eu-west-1',
    ]);
  });
});

describe('outcomeLinks of a rejection by validate', () => {
  it('links the alarms of "already firing before any change"', () => {
    // Arrange
    const reason =
      'AlarmFiringError: alarm(s) already firing before any change: web-cpu is ALARM (Threshold Crossed: 1 datapoint (91.0) was greater than the threshold (90.0).); web-5xx-rate is INSUFFICIENT_DATA (no data)';

    // Act
    const links = outcomeLinks([reason], 'eu-west-1', { alarms: ALARMS });

    // Assert
    expect(links.map((link) => link.label)).toEqual(['alarm web-5xx-rate', 'alarm web-cpu']);
  });
});
