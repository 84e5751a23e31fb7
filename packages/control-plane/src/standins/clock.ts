/**
 * Time for the stand-ins. Local mode runs real timers scaled by a factor (a 75 s launch takes 75/f s
 * of wall time); the simulator runs a virtual clock that jumps from one timer to the next, so a
 * simulated day takes seconds and every run with the same seed is the same.
 */

export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  /** Simulated epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `ms` of simulated time. */
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Resolves after `ms` of simulated time. */
  sleep(ms: number): Promise<void>;
}

/** Real timers, `factor` times faster than wall time. `dispose()` clears every pending timer. */
export class ScaledClock implements Clock {
  private readonly startWall = Date.now();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  /** @param factor simulated seconds per wall second, e.g. 40 */
  constructor(readonly factor: number) {
    if (!(factor > 0)) throw new RangeError(`time factor must be > 0, got ${factor}`);
  }

  now(): number {
    return this.startWall + (Date.now() - this.startWall) * this.factor;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, ms / this.factor),
    );
    this.timers.set(id, timer);
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    clearTimeout(this.timers.get(handle.id));
    this.timers.delete(handle.id);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Wall milliseconds for a simulated duration. */
  wallMs(simulatedMs: number): number {
    return simulatedMs / this.factor;
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

interface VirtualTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in (time, creation) order, so runs are
 * deterministic. The driver alternates `fireNext()` with awaiting the work each timer started.
 */
export class VirtualClock implements Clock {
  private current: number;
  private readonly timers: VirtualTimer[] = [];
  private seq = 0;

  /** @param start epoch ms the simulation starts at */
  constructor(start = Date.UTC(2026, 0, 5, 0, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: VirtualTimer = { id: ++this.seq, at: this.current + Math.max(0, ms), seq: this.seq, fn };
    // Sorted insert: few hundred timers at most, and order must be stable for determinism.
    let i = this.timers.length;
    while (i > 0 && this.compare(this.timers[i - 1]!, timer) > 0) i--;
    this.timers.splice(i, 0, timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === handle.id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Time of the next timer, undefined when none is pending. */
  nextAt(): number | undefined {
    return this.timers[0]?.at;
  }

  pending(): number {
    return this.timers.length;
  }

  /** Moves to the next timer at or before `limit` and fires it; false when there is none. */
  fireNext(limit = Number.POSITIVE_INFINITY): boolean {
    const timer = this.timers[0];
    if (!timer || timer.at > limit) return false;
    this.timers.shift();
    this.current = Math.max(this.current, timer.at);
    timer.fn();
    return true;
  }

  /** Moves time forward without firing anything (only up to the next timer). */
  advanceTo(at: number): void {
    const next = this.nextAt();
    this.current = Math.max(this.current, next === undefined ? at : Math.min(at, next));
  }

  private compare(a: VirtualTimer, b: VirtualTimer): number {
    return a.at - b.at || a.seq - b.seq;
  }
}

/** Lets promise chains and already-due I/O callbacks run (a few event-loop turns). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
