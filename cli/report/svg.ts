/**
 * The report's chart, one inline SVG on one time axis: the weight of each
 * colour as a step line, the gate checks as ticks, each state as bars on its
 * row, and vertical markers at the first bad signal and at the rollback.
 * Plain SVG, no script, no reference to anything outside the page.
 */
import { formatDuration, secondsBetween } from '../output.ts';
import { coordinate, escapeHtml } from './escape.ts';
import type { GateCheck, StateVisit } from './timeline.ts';
import type { WeightHistory } from './weights.ts';

/** The chart's geometry, in SVG units (tests compute expected coordinates from it). */
export const LAYOUT = {
  width: 1100,
  /** The column of row labels, left of the plot. */
  left: 230,
  right: 30,
  /** The weight plot: 0 % at `weightsBottom`, 100 % at `weightsTop`. */
  weightsTop: 40,
  weightsBottom: 190,
  gatesTop: 206,
  gatesBottom: 222,
  statesTop: 238,
  rowHeight: 18,
} as const;

export const COLOURS = { blue: '#1f6feb', green: '#1a7f37', failed: '#cf222e', signal: '#bf8700', grid: '#d0d7de' } as const;

export interface ChartInput {
  readonly start: Date;
  readonly end: Date;
  readonly weights: WeightHistory;
  readonly visits: readonly StateVisit[];
  readonly gates: readonly GateCheck[];
  readonly badSignal?: { readonly at: Date; readonly state: string; readonly error: string };
  /** The old and the new colour, for the legend. */
  readonly liveColour?: string;
  readonly targetColour?: string;
}

/** Only states that take time get a row: Choice and Pass states, and the end states, are instants that would crowd it. */
const DRAWN_KINDS = new Set(['Task', 'Wait', 'Map', 'Parallel']);

const PLOT_WIDTH = LAYOUT.width - LAYOUT.left - LAYOUT.right;

/** Whole-second tick spacings the axis picks from: the first that gives at most 8 ticks. */
const TICK_SECONDS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

interface Scale {
  readonly x: (at: Date) => number;
  readonly y: (weight: number) => number;
}

function scaleOf(start: Date, end: Date): Scale {
  const span = Math.max(1000, end.getTime() - start.getTime());
  return {
    x: (at) => LAYOUT.left + ((at.getTime() - start.getTime()) / span) * PLOT_WIDTH,
    y: (weight) => LAYOUT.weightsBottom - (weight / 100) * (LAYOUT.weightsBottom - LAYOUT.weightsTop),
  };
}

function clock(at: Date): string {
  return at.toISOString().slice(11, 19);
}

function title(text: string): string {
  return `<title>${escapeHtml(text)}</title>`;
}

function axis(input: ChartInput, scale: Scale, bottom: number): string[] {
  const spanSeconds = (input.end.getTime() - input.start.getTime()) / 1000;
  const step = TICK_SECONDS.find((seconds) => spanSeconds / seconds <= 8) ?? 86400;
  const first = Math.ceil(input.start.getTime() / (step * 1000)) * step * 1000;
  const parts: string[] = [];
  for (let at = first; at <= input.end.getTime(); at += step * 1000) {
    const x = coordinate(scale.x(new Date(at)));
    parts.push(
      `<line class="grid" x1="${x}" y1="${LAYOUT.weightsTop - 12}" x2="${x}" y2="${bottom}" stroke="${COLOURS.grid}"/>`,
      `<text class="tick" x="${x}" y="${LAYOUT.weightsTop - 16}" text-anchor="middle">${clock(new Date(at))}</text>`,
    );
  }
  for (const weight of [0, 50, 100]) {
    const y = coordinate(scale.y(weight));
    parts.push(
      `<line class="grid" x1="${LAYOUT.left}" y1="${y}" x2="${LAYOUT.width - LAYOUT.right}" y2="${y}" stroke="${COLOURS.grid}"/>`,
      `<text class="tick" x="${LAYOUT.left - 6}" y="${coordinate(scale.y(weight) + 4)}" text-anchor="end">${weight} %</text>`,
    );
  }
  return parts;
}

/** The step line of one colour's weight: flat until each change, then straight up or down to it, then flat to the end. */
function weightPoints(input: ChartInput, scale: Scale, colour: 'blue' | 'green'): string {
  const points: Array<[number, number]> = [];
  for (const point of input.weights.points) {
    const previous = points[points.length - 1];
    const x = scale.x(point.at);
    if (previous) points.push([x, previous[1]]);
    points.push([x, scale.y(point[colour])]);
  }
  const last = points[points.length - 1];
  if (last) points.push([scale.x(input.end), last[1]]);
  return points.map(([x, y]) => `${coordinate(x)},${coordinate(y)}`).join(' ');
}

function weightLines(input: ChartInput, scale: Scale): string[] {
  if (input.weights.points.length === 0) {
    return [`<text class="note" x="${LAYOUT.left + 8}" y="${coordinate(scale.y(50))}">no weight history recorded</text>`];
  }
  const role = (colour: string) => (colour === input.liveColour ? ' (old)' : colour === input.targetColour ? ' (new)' : '');
  return (['blue', 'green'] as const).flatMap((colour, index) => {
    const y = LAYOUT.weightsTop + 14 + index * 18;
    return [
      `<polyline class="weight weight-${colour}" data-colour="${colour}" fill="none" stroke="${COLOURS[colour]}" stroke-width="${colour === 'blue' ? 3 : 2}" points="${weightPoints(input, scale, colour)}">${title(`${colour} weight`)}</polyline>`,
      `<rect x="${LAYOUT.left - 140}" y="${y - 9}" width="12" height="12" fill="${COLOURS[colour]}"/>`,
      `<text class="legend" x="${LAYOUT.left - 122}" y="${y + 1}">${colour}${role(colour)}</text>`,
    ];
  });
}

function gateTicks(input: ChartInput, scale: Scale): string[] {
  const label = `<text class="label" x="${LAYOUT.left - 8}" y="${LAYOUT.gatesBottom - 3}" text-anchor="end">gate checks (${input.gates.length})</text>`;
  return [
    label,
    ...input.gates.map((gate) => {
      const x = coordinate(scale.x(gate.at));
      const verdict = gate.error ? `failed: ${gate.error}` : 'passed';
      return `<line class="gate${gate.error ? ' failed' : ''}" x1="${x}" y1="${LAYOUT.gatesTop}" x2="${x}" y2="${LAYOUT.gatesBottom}" stroke="${gate.error ? COLOURS.failed : '#57606a'}" stroke-width="${gate.error ? 3 : 1.5}">${title(`${gate.state} at ${clock(gate.at)}: ${verdict}`)}</line>`;
    }),
  ];
}

/** Names longer than the label column are cut (the bar's tooltip has the whole name). */
function shortName(name: string): string {
  return name.length > 34 ? `${name.slice(0, 33)}…` : name;
}

function stateRows(input: ChartInput, scale: Scale): { parts: string[]; rows: number } {
  const visits = input.visits.filter((visit) => DRAWN_KINDS.has(visit.kind));
  const names = [...new Set(visits.map((visit) => visit.name))];
  const parts = names.flatMap((name, row) => {
    const top = LAYOUT.statesTop + row * LAYOUT.rowHeight;
    const mine = visits.filter((visit) => visit.name === name);
    const failed = mine.some((visit) => visit.failure);
    const bars = mine.map((visit) => {
      const x = scale.x(visit.enteredAt);
      const until = visit.exitedAt ?? input.end;
      const width = Math.max(2, scale.x(until) - x);
      const spent = formatDuration(secondsBetween(visit.enteredAt, until));
      const what = `${name} ${clock(visit.enteredAt)}-${clock(until)} UTC (${spent})${visit.failure ? `, failed: ${visit.failure.error}` : ''}`;
      return `<rect class="bar${visit.failure ? ' failed' : ''}" x="${coordinate(x)}" y="${top + 3}" width="${coordinate(width)}" height="12" rx="2" fill="${visit.failure ? COLOURS.failed : '#8c959f'}">${title(what)}</rect>`;
    });
    return [
      `<text class="label${failed ? ' failed' : ''}" x="${LAYOUT.left - 8}" y="${top + 13}" text-anchor="end">${escapeHtml(shortName(name))}</text>`,
      ...bars,
    ];
  });
  return { parts, rows: names.length };
}

function marker(kind: 'rollback' | 'signal', at: Date, scale: Scale, bottom: number, text: string, tip: string): string {
  const x = scale.x(at);
  const colour = kind === 'rollback' ? COLOURS.failed : COLOURS.signal;
  // The two often fall on the same second: the rollback's label on the first line, the signal's on the second,
  // each on the side of its line that has room.
  const room = kind === 'rollback' ? x < LAYOUT.width - 80 : x < LAYOUT.left + 120;
  const label = room ? { x: x + 5, anchor: 'start' } : { x: x - 5, anchor: 'end' };
  const y = LAYOUT.weightsTop + (kind === 'rollback' ? 2 : 16);
  return [
    `<g class="marker ${kind}">${title(tip)}`,
    `<line x1="${coordinate(x)}" y1="${LAYOUT.weightsTop - 10}" x2="${coordinate(x)}" y2="${bottom}" stroke="${colour}" stroke-width="2" stroke-dasharray="6 3"/>`,
    `<text x="${coordinate(label.x)}" y="${y}" text-anchor="${label.anchor}" fill="${colour}" font-weight="bold">${text}</text>`,
    '</g>',
  ].join('');
}

/** The whole chart as an inline <svg> element. */
export function timelineSvg(input: ChartInput): string {
  const scale = scaleOf(input.start, input.end);
  const states = stateRows(input, scale);
  const bottom = LAYOUT.statesTop + Math.max(1, states.rows) * LAYOUT.rowHeight;
  const height = bottom + 12;
  const rollback = input.weights.rollback;
  const signal = input.badSignal;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 ${LAYOUT.width} ${height}" width="${LAYOUT.width}" height="${height}" role="img" aria-label="traffic weights, gate checks and states over time">`,
    ...axis(input, scale, bottom),
    ...weightLines(input, scale),
    ...gateTicks(input, scale),
    ...states.parts,
    ...(signal
      ? [
          marker(
            'signal',
            signal.at,
            scale,
            bottom,
            'first bad signal',
            `first bad signal at ${clock(signal.at)} UTC in ${signal.state}: ${signal.error}`,
          ),
        ]
      : []),
    ...(rollback
      ? [
          marker(
            'rollback',
            rollback.at,
            scale,
            bottom,
            'rollback',
            `rollback at ${clock(rollback.at)} UTC${rollback.moved ? ': traffic back on the old colour' : ' (no traffic had moved)'}`,
          ),
        ]
      : []),
    '</svg>',
  ];
  return parts.join('\n');
}
