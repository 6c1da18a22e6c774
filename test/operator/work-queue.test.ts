import { backoffDelay, WorkQueue } from '../../operator/src/runtime/work-queue.js';
import { sleep } from '../helpers/wait.js';

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, p))).toEqual([0, 100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(10_000, p)).toBe(1000);
  });
});

describe('WorkQueue', () => {
  it('de-duplicates keys waiting in the queue', async () => {
    const q = new WorkQueue(1);
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    q.start(async (k) => {
      seen.push(k);
      if (k === 'a') await gate;
    });
    q.add('a'); // starts running
    q.add('b');
    q.add('b');
    q.add('b');
    expect(q.depth).toBe(1);
    release();
    await q.whenIdle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once, and reruns a key changed while it ran', async () => {
    const q = new WorkQueue(4);
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    q.start(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      await sleep(20);
      active--;
    });
    q.add('x');
    await sleep(5);
    q.add('x'); // arrives mid-run: marked dirty
    q.add('x');
    await sleep(100);
    await q.whenIdle();
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const q = new WorkQueue(2);
    let active = 0;
    let maxActive = 0;
    q.start(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(20);
      active--;
    });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    await sleep(10);
    await q.whenIdle();
    await sleep(60);
    expect(maxActive).toBe(2);
  });

  it('retries failures with exponential backoff and resets after a success', async () => {
    const times: number[] = [];
    const results: boolean[] = [];
    const q = new WorkQueue(1, { baseMs: 20, maxMs: 1000 }, { onResult: (_k, o) => results.push(o.ok) });
    q.start(async () => {
      times.push(Date.now());
      if (times.length <= 3) throw new Error('boom');
    });
    q.add('k');
    await sleep(400);
    expect(results).toEqual([false, false, false, true]);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    // 20, 40, 80 ms (timers fire late, never early)
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[1]).toBeGreaterThanOrEqual(39);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    expect(q.failuresOf('k')).toBe(0);
    await q.shutdown();
  });

  it('honours requeueAfter, keeping the earliest pending timer', async () => {
    const q = new WorkQueue(1);
    const runs: number[] = [];
    const t0 = Date.now();
    q.start(async () => {
      runs.push(Date.now() - t0);
      return runs.length === 1 ? { requeueAfterMs: 50 } : undefined;
    });
    q.add('k');
    await sleep(10);
    q.addAfter('k', 500); // later than the pending 50 ms: ignored
    await sleep(150);
    expect(runs.length).toBe(2);
    expect(runs[1]).toBeGreaterThanOrEqual(45);
    expect(q.delayed).toBe(0);
    await q.shutdown();
  });

  it('stops taking work on shutdown', async () => {
    const q = new WorkQueue(1);
    let runs = 0;
    q.start(async () => {
      runs++;
    });
    await q.shutdown();
    q.add('a');
    q.addAfter('b', 1);
    await sleep(20);
    expect(runs).toBe(0);
  });
});
