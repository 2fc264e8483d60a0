/** `baton status <service>`: the split production serves, read from the production listener with the CLI's own ELB client. */
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, dynamoMock, elbMock, givenLock, givenWeights, LISTENER_ARN, resetMocks } from '../../../support/cli-clients.ts';

beforeEach(() => {
  resetMocks();
  givenLock(undefined);
  dynamoMock.on(QueryCommand).resolves({ Items: [] });
});

describe('baton status of a service with nothing running', () => {
  it("shows the production listener's weights", async () => {
    // Arrange
    givenWeights(0, 100);

    // Act
    const human = await baton('status', 'web');
    const json = await baton('status', 'web', '--json');

    // Assert
    expect(elbMock).toHaveReceivedCommandWith(DescribeListenersCommand, { ListenerArns: [LISTENER_ARN] });
    expect(human.out).toBe(
      [
        'web',
        '  no deployment running',
        '  traffic  blue    0 % ....................',
        '           green 100 % ####################',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.out)).toEqual({ service: 'web', traffic: { blue: 0, green: 100 }, running: null, last: null });
  });

  it('says why the weights are unknown when the listener cannot be read, and still exits 0', async () => {
    // Arrange
    const denied = Object.assign(new Error('User is not authorized to perform: elasticloadbalancing:DescribeListeners'), {
      name: 'AccessDenied',
    });
    elbMock.on(DescribeListenersCommand).rejects(denied);

    // Act
    const result = await baton('status', 'web');

    // Assert
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      '  traffic  unknown (AccessDenied: User is not authorized to perform: elasticloadbalancing:DescribeListeners)\n',
    );
  });
});
