/**
 * docs/adopting.md stays true: every command in a block marked `# offline`
 * runs here and exits 0, and the cost table shows what `npm run cost`
 * computes today.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/config.ts';

const DOC = readFileSync(join(ROOT, 'docs', 'adopting.md'), 'utf8');

/** The lines of each ```sh block whose first line is `# offline`. */
function offlineCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n# offline\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks.flatMap((block) => block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#')));
}

function run(command: string): string {
  return execFileSync('bash', ['-c', command], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 280_000 });
}

describe('docs/adopting.md', () => {
  const commands = offlineCommands(DOC);

  it('marks the commands that run offline', () => {
    // Assert
    expect(commands).toEqual([
      'npm run simulate -- --config examples/quickstart/baton.config.sim.json --account examples/quickstart/sim-account.json',
      'npx cdk synth -c config=examples/quickstart/baton.config.sim.json --quiet',
      'npm run cost',
    ]);
  });

  it.each(commands)(
    'runs `%s` without an AWS account',
    (command) => {
      // Act / Assert: execFileSync throws on a non-zero exit, with the command's output.
      expect(() => run(command)).not.toThrow();
    },
    300_000,
  );

  it("shows the example's cost as npm run cost computes it", () => {
    // Act
    const cost = JSON.parse(run('npm run -s cost -- --json')) as { monthly: { totalUsd: number }; deployment: { totalUsd: number } };

    // Assert
    expect(DOC).toContain(`| ${cost.monthly.totalUsd.toFixed(2)} |`);
    expect(DOC).toContain(`| ${cost.deployment.totalUsd.toFixed(4)} |`);
  }, 300_000);
});
