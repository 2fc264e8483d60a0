/** The `baton` command's entry point (bin/baton.mjs loads it through tsx). */
import { EXIT } from './errors.ts';
import { processIo, runBaton } from './main.ts';

runBaton(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (bug: unknown) => {
    // Neither ours nor AWS's: the stack, and a code of its own rather than 1 (a deployment that failed).
    console.error(bug);
    process.exitCode = EXIT.bug.code;
  },
);
