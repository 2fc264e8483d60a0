/**
 * What the simulated metrics are drawn from besides the listeners: the
 * history of every listener's forward weights (so the share of a target
 * group at any past moment is known), the seed of the noise, and the
 * degradations faults give a target group or a worker's colour.
 */

type Forward = Readonly<Record<string, number>>;

/** A fault's bend of one target group's traffic (a worker colour's units) from `since` on. */
export interface Degradation {
  /** The share of requests answered with a 5xx, instead of the listener's errorRate. */
  readonly errorRate?: number;
  /** Its response times are this many times the listener's. */
  readonly latencyFactor?: number;
  readonly since: number;
}

/** The share of `targetGroupArn` in `forward`: its weight over all the weights (ELB weights are relative). */
export function shareOf(forward: Forward, targetGroupArn: string): number {
  const total = Object.values(forward).reduce((sum, weight) => sum + weight, 0);
  return total > 0 ? (forward[targetGroupArn] ?? 0) / total : 0;
}

export class TrafficState {
  /**
   * Per listener, the weights it had before each change, with the moment they ended, oldest first. The
   * weights since the last change are the listener's own: a fault or test that sets them before the run
   * starts is part of the history without telling it.
   */
  private readonly history = new Map<string, Array<{ readonly until: number; readonly forward: Forward }>>();
  private readonly degradations = new Map<string, Degradation>();
  /** Per listener, the factors its requestsPerSecond was multiplied by from a moment on (a fault's surge or lull), in time order. */
  private readonly loads = new Map<string, Array<{ readonly since: number; readonly factor: number }>>();

  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  /** The one place a listener's or rule's weights change during a run (ModifyListener, ModifyRule). */
  setForward(listenerArn: string, listener: { forward: Record<string, number> }, next: Record<string, number>, at: number): void {
    const past = this.history.get(listenerArn) ?? [];
    past.push({ until: at, forward: { ...listener.forward } });
    this.history.set(listenerArn, past);
    listener.forward = next;
  }

  /**
   * The average share of `targetGroupArn` in the listener's weights over [from, to): each set of weights
   * counts for the time it was in force (before the first change: since always).
   */
  shareOver(listenerArn: string, current: Forward, targetGroupArn: string, from: number, to: number): number {
    let share = 0;
    let start = from;
    for (const segment of this.history.get(listenerArn) ?? []) {
      if (segment.until <= start) continue;
      const end = Math.min(segment.until, to);
      share += shareOf(segment.forward, targetGroupArn) * (end - start);
      start = end;
      if (start >= to) break;
    }
    if (start < to) share += shareOf(current, targetGroupArn) * (to - start);
    return share / (to - from);
  }

  /** From `since` on, the listener carries `factor` times its configured requestsPerSecond (until another factor). */
  setLoad(listenerArn: string, factor: number, since: number): void {
    const loads = (this.loads.get(listenerArn) ?? []).filter((load) => load.since < since);
    loads.push({ since, factor });
    this.loads.set(listenerArn, loads);
  }

  /** What the listener's requestsPerSecond is multiplied by at `at`: 1 before any fault's factor. */
  loadAt(listenerArn: string, at: number): number {
    let factor = 1;
    for (const load of this.loads.get(listenerArn) ?? []) if (load.since <= at) factor = load.factor;
    return factor;
  }

  /**
   * From `since` on, the traffic of `subject` (a target group ARN, or a worker colour's ECS service as
   * `cluster/name`) is bent as `degradation` says (a fault; two faults' bends add up).
   */
  degrade(subject: string, degradation: Degradation): void {
    this.degradations.set(subject, { ...this.degradations.get(subject), ...degradation });
  }

  /** How the traffic of `subject` (see degrade) is bent at `at`: none before the fault's moment. */
  degradationAt(subject: string, at: number): Omit<Degradation, 'since'> {
    const degradation = this.degradations.get(subject);
    return degradation && at >= degradation.since ? degradation : {};
  }
}
