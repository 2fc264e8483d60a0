/**
 * `npm run bench`: measures each figure of issue 18 for the example service and
 * the three-service release, holds it against its target, and prints it beside
 * the same work for ECS built-in blue/green, CodeDeploy and Flagger, computed
 * from their documented defaults (competitors.ts).
 *
 *   npm run bench                 # everything (npm test and cdk synth included: several minutes)
 *   npm run bench -- --quick      # skips npm test and cdk synth
 *   npm run bench -- --json       # the table as JSON
 *
 * The simulated figures each run in a process of their own, with a time limit.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBundleImport, measureSynth } from './build.ts';
import { runInChild } from './child.ts';
import { competitorCells } from './competitors.ts';
import { ALARM_AFTER_SHIFT_SECONDS, LONG_BAKE, type Measurement, type SimulatedFigure, WIDE_RELEASE } from './figures.ts';
import { measureSimulate, measureTests } from './loop.ts';
import { FIGURE_ROWS, type FigureId } from './rows.ts';
import type { SubjectId } from './subjects.ts';
import { type BatonCell, type Row, renderJson, renderMarkdown, verdict } from './table.ts';

/** A simulated figure that takes longer than this is reported as not measured. */
const SIMULATED_FIGURE_TIMEOUT_MS = 15 * 60_000;

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });

const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);
const joinNotes = (...notes: Array<string | undefined>) => notes.filter(Boolean).join(' ') || undefined;

function cell(measurement: Measurement, note?: string, state?: BatonCell['state']): BatonCell {
  const joined = joinNotes(note, measurement.note);
  return {
    text: measurement.text,
    ...(measurement.value !== undefined ? { value: measurement.value } : {}),
    ...(joined ? { note: joined } : {}),
    ...(state ? { state } : {}),
  };
}

async function simulated(figure: SimulatedFigure, subject: SubjectId): Promise<Measurement> {
  progress(`simulating ${figure} (${subject})`);
  const outcome = await runInChild<Measurement>(
    join(import.meta.dirname, 'figure-main.ts'),
    [figure, subject],
    SIMULATED_FIGURE_TIMEOUT_MS,
  );
  return 'ok' in outcome ? outcome.ok : { text: 'not measured', note: `the simulation did not answer: ${outcome.failed}` };
}

/** A measurement of the project's tools; an error becomes the cell's note. */
async function measured(what: string, measure: () => Promise<Measurement>): Promise<Measurement> {
  progress(`measuring ${what}`);
  try {
    return await measure();
  } catch (error) {
    return { text: 'not measured', note: `${what}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const SKIPPED: BatonCell = { text: 'skipped', note: '--quick skips npm test and cdk synth.', state: 'skipped' };
const ONE_FIGURE: BatonCell = { text: '—', note: 'One figure for the repository, not per subject.', state: 'not-applicable' };

async function batonCells(id: FigureId): Promise<{ example: BatonCell; release: BatonCell }> {
  switch (id) {
    case 'longBake': {
      const how = `Every service baked ${LONG_BAKE.bakeSeconds} s with gates every ${LONG_BAKE.gateIntervalSeconds} s (the execution timeout raised by the bake).`;
      return { example: cell(await simulated(id, 'example'), how), release: cell(await simulated(id, 'release'), how) };
    }
    case 'release20': {
      const how = `${WIDE_RELEASE.services} copies of the example service (each with its own ECS services, target groups and listeners), baked ${WIDE_RELEASE.bakeSeconds} s, released in one execution.`;
      return {
        example: cell(await simulated(id, 'example'), how),
        release: { ...ONE_FIGURE, note: 'The 20 services are copies of the example service.' },
      };
    }
    case 'alarmToRestore': {
      const how = `Measured in the simulation: the first service's first alarm enters ALARM ${ALARM_AFTER_SHIFT_SECONDS} s after the production write that put all its traffic on the new colour (the bake has begun; the old colour runs until the scale-down), to the first production write back to the old colour.`;
      return { example: cell(await simulated(id, 'example'), how), release: cell(await simulated(id, 'release'), how) };
    }
    case 'transitions':
      return {
        example: cell(await simulated(id, 'example'), 'Measured in the simulation: states entered by the successful execution.'),
        release: cell(
          await simulated(id, 'release'),
          'The release of the three services; the target is for one deployment.',
          'informational',
        ),
      };
    case 'simulate': {
      const run = await measured('npm run simulate', async () => {
        const { cpuSeconds, wallSeconds } = await measureSimulate();
        return {
          text: `${cpuSeconds.toFixed(1)} s`,
          value: cpuSeconds,
          note: `The median of three runs after one that fills the caches (user + system CPU of the process tree; ${wallSeconds.toFixed(1)} s wall).`,
        };
      });
      return { example: cell(run), release: ONE_FIGURE };
    }
    case 'tests': {
      if (values.quick) return { example: SKIPPED, release: ONE_FIGURE };
      const run = await measured('npm test', async () => {
        const { seconds, tests } = await measureTests();
        return { text: `${Math.round(seconds)} s`, value: seconds, note: `Type check, lint and ${tests} tests, wall time.` };
      });
      return { example: cell(run), release: ONE_FIGURE };
    }
    case 'synth': {
      if (values.quick) return { example: SKIPPED, release: ONE_FIGURE };
      const run = await measured('cdk synth', async () => {
        const { seconds } = await measureSynth();
        return {
          text: `${seconds.toFixed(1)} s`,
          value: seconds,
          note: '`cdk synth --quiet` of the example config into a new directory, wall time.',
        };
      });
      return { example: cell(run), release: ONE_FIGURE };
    }
    case 'bundleImport': {
      const run = await measured('bundle imports', async () => {
        const { medianMs, perFunction } = await measureBundleImport();
        const [slowest, slowestMs] = Object.entries(perFunction).sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
        return {
          text: `${Math.round(medianMs)} ms`,
          value: medianMs,
          note: `Median over the ${Object.keys(perFunction).length} functions of each one's median fresh-process import; slowest ${slowest} ${Math.round(slowestMs)} ms.`,
        };
      });
      return { example: cell(run), release: ONE_FIGURE };
    }
  }
}

const rows: Row[] = [];
for (const row of FIGURE_ROWS) {
  const baton = await batonCells(row.id);
  const judged = row.releaseJudged ? [baton.example, baton.release] : [baton.example];
  rows.push({
    figure: row.figure,
    target: row.target.text,
    baton,
    meets: verdict(row.target, judged),
    competitors: competitorCells(row.id),
  });
}
process.stdout.write(`${values.json ? renderJson(rows) : renderMarkdown(rows)}\n`);
