/**
 * Schedulers: the real one (setTimeout, unref'd so a parked rebalance never keeps the process
 * alive) and a manual one whose time only moves when a test says so.
 */
import type { Scheduler, TimerHandle } from './types.js';

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Deterministic time for tests: timers fire only inside advance(), in due order (ties in
 * scheduling order), and the event loop is drained after each so async work they start (log
 * appends, promise chains) settles before the next timer fires.
 */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const t: ManualTimer = { due: this.time + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
      },
    };
  }

  /** Number of live (not cancelled, not fired) timers. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Move time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await settle();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) {
        if (t.due <= target && (next === undefined || t.due < next.due || (t.due === next.due && t.seq < next.seq))) {
          next = t;
        }
      }
      if (next === undefined) break;
      this.time = Math.max(this.time, next.due);
      next.cancelled = true;
      next.fn();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

/** Let pending promise callbacks and I/O-free macrotasks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
