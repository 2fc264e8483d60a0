/** Reading `baton report`'s page in tests: the weights its step lines draw, whatever the times. */
import { LAYOUT } from '../../cli/report/svg.ts';

/** The weight a y coordinate of the weight plot stands for. */
function weightAt(y: number): number {
  return Math.round(((LAYOUT.weightsBottom - y) / (LAYOUT.weightsBottom - LAYOUT.weightsTop)) * 100);
}

/** The weights one colour's step line goes through, in order, each level once: [100, 75, 100] for a canary at 25 % rolled back. */
export function weightLevels(points: string): number[] {
  const levels = points
    .trim()
    .split(/\s+/)
    .map((point) => weightAt(Number(point.split(',')[1])));
  return levels.filter((level, index) => index === 0 || level !== levels[index - 1]);
}

/** The `points` of a colour's weight line in the page's markup; undefined when it has none. */
export function weightPoints(page: string, colour: 'blue' | 'green'): string | undefined {
  return new RegExp(`<polyline class="weight weight-${colour}"[^>]* points="([^"]*)"`).exec(page)?.[1];
}
