/**
 * A work queue in the style of client-go's rate-limited workqueue:
 *
 * - de-duplication: a key waiting in the queue is queued once however often it is added;
 * - per-key serialization: a key is never handled by two workers at once; adding a key that
 *   is being handled marks it dirty, and it runs again once the current run ends (so an event
 *   seen mid-reconcile is never lost);
 * - exponential backoff on errors (per key, reset on success);
 * - delayed re-adds (a reconciler asking to look again in N ms), earliest wins.
 *
 * Keys are strings ("namespace/name"). Timers are unref'd so a queue never holds a process up.
 */

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 60_000 };

/** Delay before retry number `failures` (1 = first failure): base * 2^(failures-1), capped. Pure. */
export function backoffDelay(failures: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (failures <= 0) return 0;
  // Cap the exponent too, so 2^n never overflows into Infinity for a key failing for days.
  const exp = Math.min(failures - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exp);
}

/** What a handler asks for after a successful run. */
export interface HandlerResult {
  /** Look at this key again after this many ms (e.g. a roll waiting for a pod). */
  readonly requeueAfterMs?: number;
}

export type Handler = (key: string) => Promise<HandlerResult | void>;

export interface WorkQueueEvents {
  /** Called after each run with its outcome; used for metrics and logs. */
  onResult?(key: string, outcome: { ok: true; ms: number } | { ok: false; ms: number; error: unknown; retryInMs: number }): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: Array<() => void> = [];
  private handler: Handler | null = null;
  private running = 0;
  private stopped = false;

  constructor(
    private readonly concurrency = 2,
    private readonly backoff: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly events: WorkQueueEvents = {},
  ) {}

  /** Keys waiting (not counting those being handled or delayed). */
  get depth(): number {
    return this.queue.length;
  }

  /** Keys waiting on a delay timer (backoff or requeueAfter). */
  get delayed(): number {
    return this.timers.size;
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  start(handler: Handler): void {
    this.handler = handler;
    this.pump();
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds the key after `ms`; an earlier pending timer for the key wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Forgets a key's failure count and pending timer (e.g. its object was deleted). */
  forget(key: string): void {
    this.failures.delete(key);
    const t = this.timers.get(key);
    if (t) clearTimeout(t.timer);
    this.timers.delete(key);
  }

  /** Resolves when nothing is queued or running (timers may still be pending). For tests. */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, clears timers, and waits for runs in progress. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    await this.whenIdle();
  }

  private pump(): void {
    const handler = this.handler;
    if (handler === null) return;
    while (!this.stopped && this.running < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift();
      if (key === undefined) break;
      this.queued.delete(key);
      this.processing.add(key);
      this.running++;
      void this.runOne(handler, key);
    }
    this.notifyIdle();
  }

  private async runOne(handler: Handler, key: string): Promise<void> {
    const started = Date.now();
    try {
      const result = await handler(key);
      this.failures.delete(key);
      this.events.onResult?.(key, { ok: true, ms: Date.now() - started });
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (error) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      const retryInMs = backoffDelay(n, this.backoff);
      this.events.onResult?.(key, { ok: false, ms: Date.now() - started, error, retryInMs });
      this.addAfter(key, retryInMs);
    } finally {
      this.processing.delete(key);
      this.running--;
      // An event arrived while we ran: run again now (a pending backoff timer is superseded
      // only if the key is dirty, i.e. something really changed).
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }

  private notifyIdle(): void {
    if (this.queue.length !== 0 || this.running !== 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
