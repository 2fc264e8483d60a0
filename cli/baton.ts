/** The `baton` command's entry point (bin/baton.mjs loads it through tsx). */
import { processIo, runBaton } from './main.ts';

runBaton(process.argv.slice(2), processIo).then((code) => {
  process.exitCode = code;
});
