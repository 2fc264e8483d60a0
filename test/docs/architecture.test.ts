/**
 * docs/architecture.md's table of states against the synthesized definition:
 * every Task state is in the table with the function it invokes and that
 * function's handler file, and every row that names a function is a Task
 * invoking it. A renamed state, a moved handler or a state that starts
 * invoking another function fails here until the doc says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASE_NAMES, PHASES, type PhaseName } from '../../lib/constructs/phases.ts';
import { RELEASE_SUFFIX } from '../../lib/constructs/state-names.ts';
import { exampleConfig, ROOT } from '../support/config.ts';
import { tasksOf } from '../support/definition.ts';
import { stateMachineDefinition, synth } from '../support/synth.ts';
import { invokedTarget } from '../support/template.ts';

interface Row {
  readonly state: string;
  readonly fn: string | undefined;
  readonly file: string | undefined;
}

/** The rows of the table under "## States and the files that handle them". */
function stateRows(): Row[] {
  const text = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const section = text.split(/^## /m).find((part) => part.startsWith('States and the files that handle them'));
  if (!section) throw new Error('docs/architecture.md has no section "States and the files that handle them"');
  const unquote = (cell: string | undefined) => cell?.trim().replace(/^`|`$/g, '') || undefined;
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| state ') && !line.startsWith('|---'))
    .map((line) => line.split('|').slice(1, -1))
    .map((cells) => ({
      state: (cells[0] ?? '').trim().replace(/&lt;/g, '<').replace(/&gt;/g, '>'),
      fn: unquote(cells[2]),
      file: unquote(cells[3]),
    }));
}

/** A row's state name as a pattern: "Record <what> failure" stands for every such state. */
function matches(row: Row, state: string): boolean {
  const pattern = row.state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/<[a-z]+>/g, '.+');
  return new RegExp(`^${pattern}$`).test(state);
}

describe('docs/architecture.md, states and the files that handle them', () => {
  const rows = stateRows();
  let invoked: Array<{ state: string; fn: PhaseName }>;

  beforeAll(() => {
    const synthesis = synth(exampleConfig());
    // A Task names its function's current version (safe upgrades).
    const functionOf = new Map(PHASE_NAMES.map((phase) => [invokedTarget(synthesis, phase), phase]));
    invoked = tasksOf(stateMachineDefinition(synthesis.template).States).map(([state, task]) => {
      const fn = functionOf.get(String(task.Resource)) ?? functionOf.get(String(task.Parameters?.FunctionName));
      if (!fn) throw new Error(`Task "${state}" invokes no Baton function`);
      return { state: state.endsWith(RELEASE_SUFFIX) ? state.slice(0, -RELEASE_SUFFIX.length) : state, fn };
    });
  });

  it('has a row for every Task, naming the function it invokes and its handler file', () => {
    const wrong = invoked
      .map(({ state, fn }) => ({ state, fn, row: rows.find((row) => matches(row, state)) }))
      .filter(({ fn, row }) => row?.fn !== fn || row.file !== `lambdas/${PHASES[fn].dir}/index.ts`)
      .map(({ state, fn, row }) => `${state}: invokes ${fn}; the doc says ${row ? `${row.fn} in ${row.file}` : 'nothing'}`);

    expect(wrong).toEqual([]);
  });

  it('names a function only in rows that are Tasks invoking it', () => {
    const stale = rows
      .filter((row) => row.fn !== undefined)
      .filter((row) => !invoked.some(({ state, fn }) => fn === row.fn && matches(row, state)))
      .map((row) => `${row.state} (${row.fn})`);

    expect(stale).toEqual([]);
  });
});
