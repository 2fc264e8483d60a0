/**
 * Entry point of `npm run simulate`; the logic lives in cli-main.ts so tests can run it in process.
 *
 * Most of a warm run's start-up is V8 compiling the modules it loads (the
 * sources, the AWS SDK, the interpreter), the same code every run: Node's
 * compile cache keeps that work on disk. It must be on before those modules
 * load, hence the dynamic import. Node 22.1 and later; older ones just compile.
 */
import module from 'node:module';
import { join } from 'node:path';

(module as Partial<typeof module>).enableCompileCache?.(join(import.meta.dirname, '..', 'node_modules', '.cache', 'node-compile-cache'));
const { runCli } = await import('./cli-main.ts');

// Exit once the output is flushed: a release that ended while one of its branches still had a Task in flight (a
// parallel iteration the failure cut short) leaves that Task's timeout timer behind, which would keep the process up
// for the Task's TimeoutSeconds after everything is printed.
runCli(process.argv.slice(2)).then((code) => {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
