/**
 * `baton watch web` on a real terminal, following a simulated canary that
 * rolls back: an alarm fires while green holds 25 %, the rollback puts 100 %
 * back on blue. The CLI runs as `baton` does (cli/main.ts, stdout the
 * terminal), its AWS calls answered by the simulated account (sim/harness.ts),
 * as in test/workflow/baton-cli.test.ts. watch-tmux.test.ts runs it under
 * tmux and reads the screen; by hand, in a terminal:
 *
 *   npx tsx test/terminal/watch-rollback.ts
 *
 * The simulated clock jumps over the canary's hold and the bake, so the whole
 * deployment takes a second or two: the Io polls every 1/50 of the interval
 * (20 ms for --interval 1) to draw several frames meanwhile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Io } from '../../cli/context.ts';
import { processIo, runBaton } from '../../cli/main.ts';
import { loadConfig } from '../../lib/config/load.ts';
import { AccountSchema } from '../../sim/account/schema.ts';
import { openSimulation } from '../../sim/harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = join(ROOT, 'baton.config.json');
const ACCOUNT = join(ROOT, 'sim', 'accounts', 'example.json');
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const open = await openSimulation({
  config: loadConfig(CONFIG),
  account: AccountSchema.parse(JSON.parse(readFileSync(ACCOUNT, 'utf8'))),
  input: {},
  faults: ['alarm-during-shift'],
});
let code = 1;
try {
  const quiet: Io = { out: () => undefined, err: (text) => processIo.err(text), isTty: false, sleep: realSleep };
  const started = await runBaton(['deploy', 'web', '--tag', 'v1.4.2', '--strategy', 'canary:25:300', '--config', CONFIG], quiet);
  if (started !== 0) throw new Error(`baton deploy exited ${started}`);
  // watch follows the lock's execution: wait for Initialize to take it.
  for (let i = 0; i < 1000 && !open.simulation.model.table.has('LOCK#web|LOCK'); i++) await realSleep(2);
  code = await runBaton(['watch', 'web', '--interval', '1', '--config', CONFIG], { ...processIo, sleep: (ms) => realSleep(ms / 50) });
  await open.simulation.settle();
} finally {
  open.close();
}
process.exitCode = code;
