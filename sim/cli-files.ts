/** What `npm run simulate` reads and writes on disk, and the usage error a bad path gets (exit 2). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A JSON file given on the command line; an unreadable or malformed one is a usage error naming the option. */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`${what}: cannot read ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what}: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** An output file's folder must exist before the run: a run of several seconds must not end in a stack trace. */
export function writableFile(file: string | undefined, option: string): void {
  if (file === undefined) return;
  const folder = dirname(resolve(file));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`${option}: folder ${folder} does not exist`);
}
