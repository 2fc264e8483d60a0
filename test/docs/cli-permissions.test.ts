/**
 * docs/cli.md's table of the IAM each command needs against the data the
 * stack builds its operator and viewer policies from
 * (lib/constructs/operator-policy.ts): a grant added, removed or rescoped in
 * the code fails here until the doc says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_NAMES,
  type Grant,
  OPERATOR_PERMISSIONS,
  type OperatorScope,
  VIEWER_COMMANDS,
} from '../../lib/constructs/operator-policy.ts';
import { ROOT } from '../support/config.ts';

/** The ARNs as the doc writes them, `<name>` being the state machine's name (`<pipeline.name>-<pipeline.environment>`). */
const DOC_SCOPE: OperatorScope = {
  stateMachineArn: 'arn:aws:states:<region>:<account>:stateMachine:<name>',
  executionArns: 'arn:aws:states:<region>:<account>:execution:<name>:*',
  tableArn: 'arn:aws:dynamodb:<region>:<account>:table/<name>-deployments',
  workerServiceArns: ['arn:aws:ecs:<region>:<account>:service/<cluster>/<worker colour>'],
};

const code = (values: readonly string[]) => values.map((value) => `\`${value}\``).join(', ');

/** The rows the data gives: one per command and grant. */
function expectedRows(): string[] {
  return COMMAND_NAMES.flatMap((command) =>
    (OPERATOR_PERMISSIONS[command] as readonly Grant[]).map(
      (grant) =>
        `| \`${command}\`${VIEWER_COMMANDS.includes(command) ? ' (viewer)' : ''} | ${code(grant.actions)} | ${code(grant.resources(DOC_SCOPE))} | ${grant.why} |`,
    ),
  );
}

/** The rows of the table under "## IAM for operators". */
function documentedRows(): string[] {
  const text = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('IAM for operators'));
  if (!section) throw new Error('docs/cli.md has no section "IAM for operators"');
  return section.split('\n').filter((line) => line.startsWith('| `'));
}

describe('docs/cli.md, IAM for operators', () => {
  it('lists every grant of every command, as the operator and viewer policies are built', () => {
    expect(documentedRows()).toEqual(expectedRows());
  });
});
