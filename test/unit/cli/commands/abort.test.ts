/** `baton abort`: the execution the lock names is stopped. */
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, DEPLOYMENT_ID, EXECUTION_ARN, givenLock, LOCK, OPERATOR, resetMocks, sfnMock } from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton abort', () => {
  it("stops the execution the lock names, as AbortedByOperator, with the operator's reason", async () => {
    // Arrange
    givenLock(LOCK);
    sfnMock.on(StopExecutionCommand).resolves({ stopDate: new Date() });

    // Act
    const result = await baton('abort', 'web', '--reason', 'wrong image');

    // Assert
    expect(result.code).toBe(0);
    expect(sfnMock.commandCalls(StopExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { executionArn: EXECUTION_ARN, error: 'AbortedByOperator', cause: `aborted by ${OPERATOR}: wrong image` },
    ]);
    expect(result.out).toBe(
      `Stopped ${DEPLOYMENT_ID}.\nThe backstop now rolls it back and closes its record; follow with: baton history web\n`,
    );
  });

  it('exits 3 when no deployment of the service is running', async () => {
    // Arrange
    givenLock(undefined);

    // Act
    const result = await baton('abort', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.err).toBe('baton: no deployment of web is running\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});
