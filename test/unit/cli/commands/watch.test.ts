/** `baton watch`: with no deployment of the service running, exit 3 and a pointer to baton history. */
import { beforeEach, describe, expect, it } from 'vitest';
import { baton, givenLock, resetMocks, sfnMock } from '../../../support/cli-clients.ts';

beforeEach(resetMocks);

describe('baton watch', () => {
  it('exits 3 and points at baton history when no deployment of the service is running', async () => {
    // Arrange
    givenLock(undefined);

    // Act
    const result = await baton('watch', 'web');

    // Assert
    expect(result.code).toBe(3);
    expect(result.out).toBe('');
    expect(result.err).toBe('baton: no deployment of web is running; see the last ones with "baton history web"\n');
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });
});
