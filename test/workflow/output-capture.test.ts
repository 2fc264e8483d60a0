/**
 * A simulation collects the handlers' log lines from stdout and stderr while
 * it runs, and gives both streams back as it found them: the same function,
 * not a copy wrapped around it (a worker runs hundreds of simulations).
 */
import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../support/config.ts';
import { exampleAccount, runIn } from '../support/simulation.ts';

describe('a simulation and the process output', () => {
  it('leaves stdout and stderr as it found them, after each of three runs', async () => {
    // Arrange
    const before = [process.stdout.write, process.stderr.write];

    // Act
    for (let run = 0; run < 3; run++) await runIn(exampleConfig(), exampleAccount(), {}, true);

    // Assert
    expect([process.stdout.write, process.stderr.write]).toEqual(before);
    expect(process.stdout.write).toBe(before[0]);
    expect(process.stderr.write).toBe(before[1]);
  });
});
