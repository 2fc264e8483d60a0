/** Entry point of `npm run simulate`; the logic lives in cli-main.ts so tests can run it in process. */
import { runCli } from './cli-main.ts';

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
