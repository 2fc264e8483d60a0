/**
 * The virtual clock: Date.now() is faked (@sinonjs/fake-timers), and time
 * moves only when every running execution is asleep (a Wait, a retry
 * interval, an operator's delay) or waiting on something outside it (another
 * execution, a task token's answer). Then the clock jumps to the earliest
 * wake-up, so executions running side by side share one timeline, as they
 * would in AWS, and a run takes no real time for what it simulates.
 */
import FakeTimers from '@sinonjs/fake-timers';

/** The simulated start of a run unless the options give one. */
export const DEFAULT_START = Date.parse('2026-11-23T09:00:00.000Z');

interface Sleeper {
  readonly execution: string;
  readonly at: number;
  readonly wake: () => void;
}

export class VirtualClock {
  private readonly fake: ReturnType<typeof FakeTimers.install>;
  private sleepers: Sleeper[] = [];
  /**
   * Handlers running (a Task's handler, a Wait) that are not asleep. Time moves
   * only when none is: an execution's Map iterations run side by side, so an
   * execution can be asleep in one iteration and at work in another.
   */
  private busy = 0;

  /** A stopped or timed-out execution never wakes up: its sleep no longer counts (set by the Step Functions backend). */
  isRunning: (execution: string) => boolean = () => true;

  /** Fakes Date from `start` on, until uninstall(). */
  constructor(start: number) {
    this.fake = FakeTimers.install({ now: start, toFake: ['Date'] });
  }

  /** Puts the real Date back. */
  uninstall(): void {
    this.fake.uninstall();
  }

  /** Moves the clock forward by `ms` at once (a network answer's latency). */
  elapse(ms: number): void {
    if (ms > 0) this.fake.setSystemTime(Date.now() + ms);
  }

  /** Counts a handler as at work while it runs (its sleeps and waits on other executions excepted). */
  async working<T>(run: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await run();
    } finally {
      this.busy -= 1;
      this.scheduleAdvance();
    }
  }

  /** Sleeps on the virtual clock: wakes when every other execution is asleep too and `millis` have passed. */
  sleep(execution: string, millis: number): Promise<void> {
    this.busy -= 1;
    return new Promise<void>((wake) => {
      this.sleepers.push({ execution, at: Date.now() + Math.max(0, millis), wake });
      this.scheduleAdvance();
    }).finally(() => {
      this.busy += 1;
    });
  }

  /** Waits on something outside the execution (another execution, an operator) without holding the clock back. */
  idle<T>(wait: () => Promise<T>): Promise<T> {
    this.busy -= 1;
    this.scheduleAdvance();
    return wait().finally(() => {
      this.busy += 1;
    });
  }

  /** Lets the clock move once the current turn's work is done (an execution ended, a handler returned). */
  scheduleAdvance(): void {
    setImmediate(() => this.advance());
  }

  private advance(): void {
    // A sleep for no execution ('': an event on its way) always counts.
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.execution === '' || this.isRunning(sleeper.execution));
    if (this.sleepers.length === 0) return;
    // Someone is at work (a handler, or a state machine between states): time stands still.
    if (this.busy > 0) return;
    const next = Math.min(...this.sleepers.map((sleeper) => sleeper.at));
    if (next > Date.now()) this.fake.setSystemTime(next);
    const due = this.sleepers.filter((sleeper) => sleeper.at <= Date.now());
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.at > Date.now());
    for (const sleeper of due) sleeper.wake();
  }
}
