/**
 * Delayed operations (Kafka's "purgatory"): long-poll fetches and acks=all produces wait
 * here, keyed by partition ("topic-partition"), until their completion check passes, their
 * timeout fires, or the broker shuts down. Whoever changes a partition (an append, an HW
 * move) calls `checkAndComplete(key)`, which re-runs only the checks watching that key.
 *
 * Bounded: past `maxWaiting` operations, new ones complete at once (as timed out) rather
 * than piling up timers and closures.
 */

export type { DelayedOutcome } from './types.js';
import type { DelayedOutcome } from './types.js';

interface Waiter {
  readonly keys: readonly string[];
  readonly check: () => boolean;
  readonly resolve: (o: DelayedOutcome) => void;
  timer: NodeJS.Timeout | null;
  done: boolean;
}

export class Purgatory {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private waiting = 0;
  private closed = false;

  constructor(private readonly maxWaiting = 10_000) {}

  get size(): number {
    return this.waiting;
  }

  /**
   * Wait until `check()` returns true (re-run on checkAndComplete of any of `keys`), or
   * `timeoutMs` passes. The check runs once up front.
   */
  watch(keys: readonly string[], timeoutMs: number, check: () => boolean): Promise<DelayedOutcome> {
    if (check()) return Promise.resolve('completed');
    if (this.closed) return Promise.resolve('shutdown');
    if (timeoutMs <= 0 || this.waiting >= this.maxWaiting || keys.length === 0) return Promise.resolve('expired');
    return new Promise<DelayedOutcome>((resolve) => {
      const w: Waiter = { keys, check, resolve, timer: null, done: false };
      w.timer = setTimeout(() => this.finish(w, 'expired'), timeoutMs);
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (set === undefined) {
          set = new Set();
          this.byKey.set(k, set);
        }
        set.add(w);
      }
      this.waiting++;
    });
  }

  /** Re-run the checks of operations watching `key`; complete those that pass. */
  checkAndComplete(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const w of set) {
      let ok: boolean;
      try {
        ok = w.check();
      } catch {
        ok = true; // let the waiting handler run and report the error itself
      }
      if (ok) this.finish(w, 'completed');
    }
  }

  /** Complete everything now (broker stopping): long polls answer with what they have. */
  shutdown(): void {
    this.closed = true;
    for (const set of [...this.byKey.values()]) for (const w of [...set]) this.finish(w, 'shutdown');
  }

  private finish(w: Waiter, outcome: DelayedOutcome): void {
    if (w.done) return;
    w.done = true;
    if (w.timer !== null) clearTimeout(w.timer);
    for (const k of w.keys) {
      const set = this.byKey.get(k);
      if (set === undefined) continue;
      set.delete(w);
      if (set.size === 0) this.byKey.delete(k);
    }
    this.waiting--;
    w.resolve(outcome);
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
