/**
 * Bundles compiled with V8's code cache. Compiling a bundle (650 KB of
 * JavaScript) is most of a simulated cold start; V8 can skip it with the code
 * it produced for the same source before. The cache sits beside the bundle,
 * per Node version; V8 itself checks the source and its own version and
 * flags, and a rejected cache is simply rebuilt.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { Script } from 'node:vm';

/** Scripts compiled without usable cached code: their cache is written once the functions they ran are compiled too. */
const pending = new Map<string, Script>();

function cacheFile(file: string): string {
  return `${file}.${process.version}.v8-cache`;
}

export function compileBundle(file: string): Script {
  const cache = cacheFile(file);
  const cachedData = existsSync(cache) ? readFileSync(cache) : undefined;
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) {
    if (pending.size === 0) process.once('exit', writePending);
    pending.set(file, script);
  }
  return script;
}

/**
 * At exit, so the cache holds every function the run compiled (V8 compiles
 * lazily: after the cold start alone the handlers' code would be missing).
 * Written to a private name and renamed, so a concurrent reader never sees half a file.
 */
function writePending(): void {
  for (const [file, script] of pending) {
    const temporary = `${cacheFile(file)}.${process.pid}`;
    try {
      writeFileSync(temporary, script.createCachedData());
      renameSync(temporary, cacheFile(file));
    } catch {
      // A cache is an optimisation: a bundle directory that cannot be written is compiled again next time.
    }
  }
  pending.clear();
}
