/**
 * Colour on a terminal only: never in a pipe or a file, and off with
 * NO_COLOR (any non-empty value, https://no-color.org) or --no-color.
 */
import type { Io } from './context.ts';

const SGR = { green: 32, red: 31, yellow: 33 } as const;

/** How each status reads at a glance: done, failed (a person should look), under way. */
const STATUS_COLOUR: Readonly<Record<string, keyof typeof SGR>> = {
  SUCCEEDED: 'green',
  ROLLED_BACK: 'red',
  ROLLBACK_FAILED: 'red',
  IN_PROGRESS: 'yellow',
};

export function colourEnabled(io: Io, noColorOption: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return io.isTty && !noColorOption && !env.NO_COLOR;
}

/** `text` in the colour of `status`, when colour is on; as it is otherwise. */
export function paintStatus(colour: boolean, status: string, text = status): string {
  const name = STATUS_COLOUR[status];
  return colour && name ? `\u001b[${SGR[name]}m${text}\u001b[39m` : text;
}
