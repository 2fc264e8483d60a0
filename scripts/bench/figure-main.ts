/**
 * One simulated figure in its own process (child.ts): `node --import tsx
 * scripts/bench/figure-main.ts <figure> <subject>` prints its Measurement.
 */
import { printResult } from './child.ts';
import {
  alarmToRestore,
  longBake,
  type Measurement,
  SIMULATED_FIGURES,
  type SimulatedFigure,
  transitions,
  wideRelease,
} from './figures.ts';
import { type SubjectId, subject } from './subjects.ts';

const MEASURE: Record<SimulatedFigure, (id: SubjectId) => Promise<Measurement>> = {
  longBake: (id) => longBake(subject(id)),
  release20: () => wideRelease(),
  alarmToRestore: (id) => alarmToRestore(subject(id)),
  transitions: (id) => transitions(subject(id)),
};

const [figure, id] = process.argv.slice(2);
if (!SIMULATED_FIGURES.includes(figure as SimulatedFigure) || (id !== 'example' && id !== 'release')) {
  process.stderr.write(`usage: figure-main.ts <${SIMULATED_FIGURES.join('|')}> <example|release>\n`);
  process.exit(2);
}
printResult(await MEASURE[figure as SimulatedFigure](id));
// Servers and timers the simulation left behind must not keep the process alive.
process.exit(0);
