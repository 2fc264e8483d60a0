/** The figures of issue 18, in its order, with their targets, and which subjects each target is about. */
import type { Target } from './table.ts';

export type FigureId = 'longBake' | 'release20' | 'alarmToRestore' | 'transitions' | 'simulate' | 'tests' | 'synth' | 'bundleImport';

export interface FigureRow {
  readonly id: FigureId;
  readonly figure: string;
  readonly target: Target;
  /** Whether the three-service release's cell is held against the target too (else it is shown for information). */
  readonly releaseJudged: boolean;
}

const under = (limit: number, text: string): Target => ({ text, holds: (value) => value < limit });
const atMost = (limit: number, text: string): Target => ({ text, holds: (value) => value <= limit });

export const FIGURE_ROWS: readonly FigureRow[] = [
  {
    id: 'longBake',
    figure: 'history events, 24 h bake at a 5 s gate interval',
    target: under(18_750, 'under 18,750 in one execution'),
    releaseJudged: true,
  },
  {
    id: 'release20',
    figure: 'history events, 20-service release with a 2 h bake',
    target: under(18_750, 'under 18,750'),
    releaseJudged: false,
  },
  {
    id: 'alarmToRestore',
    figure: 'alarm enters ALARM to production back on the old colour (old colour running)',
    target: atMost(5, '5 s or less'),
    releaseJudged: true,
  },
  {
    id: 'transitions',
    figure: 'state transitions, default all-at-once deployment',
    target: atMost(40, '40 or fewer'),
    releaseJudged: false,
  },
  { id: 'simulate', figure: '`npm run simulate`, warm, whole process, CPU', target: under(2.5, 'under 2.5 s'), releaseJudged: false },
  { id: 'tests', figure: '`npm test` on this machine', target: under(90, 'under 90 s'), releaseJudged: false },
  { id: 'synth', figure: '`cdk synth` with bundling', target: under(15, 'under 15 s'), releaseJudged: false },
  { id: 'bundleImport', figure: 'import of a bundle in Node 22, median', target: under(150, 'under 150 ms'), releaseJudged: false },
];
