/**
 * Colour on a terminal only: never in a pipe or a file, and off with
 * NO_COLOR (any non-empty value, https://no-color.org) or --no-color.
 */
import type { Io } from './context.ts';

const SGR = { green: 32, red: 31, yellow: 33 } as const;
export type ColourName = keyof typeof SGR;

/**
 * How each status reads at a glance: done, failed (a person should look),
 * under way. A record's statuses and an execution's (Step Functions') alike.
 */
const STATUS_COLOUR: Readonly<Record<string, ColourName>> = {
  SUCCEEDED: 'green',
  ROLLED_BACK: 'red',
  ROLLBACK_FAILED: 'red',
  FAILED: 'red',
  TIMED_OUT: 'red',
  ABORTED: 'red',
  IN_PROGRESS: 'yellow',
  RUNNING: 'yellow',
};

export function colourEnabled(io: Io, noColorOption: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return io.isTty && !noColorOption && !env.NO_COLOR;
}

/** `text` in `name`, when colour is on; as it is otherwise. */
export function paint(colour: boolean, name: ColourName, text: string): string {
  return colour ? `\u001b[${SGR[name]}m${text}\u001b[39m` : text;
}

/** `text` in the colour of `status`, when colour is on; as it is otherwise. */
export function paintStatus(colour: boolean, status: string, text = status): string {
  const name = STATUS_COLOUR[status];
  return name ? paint(colour, name, text) : text;
}

/** The escape sequences paint writes (SGR), which take no column on a terminal; built from a string, as a regex literal may not hold ESC. */
const SGR_PATTERN = '\u001b\\[[0-9;]*m';
const SGR_SEQUENCE = new RegExp(SGR_PATTERN, 'g');
const SGR_PART = new RegExp(`(${SGR_PATTERN})`);
const SGR_ONLY = new RegExp(`^${SGR_PATTERN}$`);

/** The columns `text` takes on a terminal: its characters but the colour sequences. */
export function visibleLength(text: string): number {
  return text.replace(SGR_SEQUENCE, '').length;
}

/**
 * The first `columns` visible characters of `text`, its colour sequences
 * kept; a colour still open where it is cut is closed, so it does not spill
 * onto what follows.
 */
export function sliceVisible(text: string, columns: number): string {
  let out = '';
  let visible = 0;
  let open = false;
  for (const part of text.split(SGR_PART)) {
    if (SGR_ONLY.test(part)) {
      // Past the cut, a colour would open on nothing.
      if (visible >= columns) break;
      out += part;
      open = part !== '\u001b[39m' && part !== '\u001b[0m';
      continue;
    }
    const room = columns - visible;
    if (room <= 0) break;
    out += part.slice(0, room);
    visible += Math.min(part.length, room);
  }
  return open ? `${out}\u001b[39m` : out;
}
