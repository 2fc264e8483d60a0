/**
 * The bound of the assembly cache (build.ts). Its key covers every source
 * that goes into a template or a bundle, so each edit of one gives every
 * config a new assembly of about 10 MB: unbounded, the cache of a developer
 * who runs the tests after each edit grew past 12 GB. It keeps the
 * assemblies used last (a run marks each assembly it reads) and drops the
 * rest, and the half-built directories a killed run left behind.
 */
import { readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

/** How many assemblies the cache keeps: the test suite reads about 40 per state of the sources, so two states fit. */
export const KEPT_ASSEMBLIES = 100;
/** A directory still being built after this long belongs to a run that was killed. */
const ABANDONED_BUILD_MS = 60 * 60 * 1000;
/** The file whose time says when an assembly was last used. */
export const MANIFEST_FILE = 'baton-assembly.json';
/** An assembly's directory: its key (build.ts); the cache holds other things too (sim/stepfunctions/machine.ts). */
const ASSEMBLY = /^[0-9a-f]{24}$/;
const BUILDING = /^[0-9a-f]{24}\.building-\d+-\d+$/;

/** Marks an assembly as used now, so pruning keeps it over those unused longer; false if it is gone (pruned meanwhile). */
export function markUsed(dir: string, now = new Date()): boolean {
  try {
    utimesSync(join(dir, MANIFEST_FILE), now, now);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Removes all but the `keep` assemblies used last, and abandoned builds; returns the names removed. */
export function pruneAssemblies(cacheDir: string, keep = KEPT_ASSEMBLIES, now = Date.now()): string[] {
  const assemblies: Array<{ name: string; usedAt: number }> = [];
  const removed: string[] = [];
  for (const name of readdirSync(cacheDir)) {
    const dir = join(cacheDir, name);
    if (BUILDING.test(name)) {
      // A build another process finished (renamed) since the listing is gone: undefined, and left alone.
      const startedAt = mtimeOf(dir);
      if (startedAt !== undefined && now - startedAt > ABANDONED_BUILD_MS) removed.push(name);
      continue;
    }
    if (!ASSEMBLY.test(name)) continue;
    const usedAt = mtimeOf(join(dir, MANIFEST_FILE));
    // A directory without its manifest is an assembly that never finished: nothing can read it.
    if (usedAt === undefined) removed.push(name);
    else assemblies.push({ name, usedAt });
  }
  assemblies.sort((a, b) => b.usedAt - a.usedAt || a.name.localeCompare(b.name));
  removed.push(...assemblies.slice(keep).map((assembly) => assembly.name));
  for (const name of removed) rmSync(join(cacheDir, name), { recursive: true, force: true });
  return removed.sort();
}

/** When a file was last modified; undefined when it does not exist (any other error is thrown, and nothing removed). */
function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
