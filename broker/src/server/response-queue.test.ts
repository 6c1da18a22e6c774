import { describe, expect, it } from '@jest/globals';
import { ResponseQueue } from './response-queue.js';

describe('ResponseQueue', () => {
  it('releases in request order when completions arrive out of order', () => {
    const q = new ResponseQueue<string>();
    const a = q.reserve();
    const b = q.reserve();
    const c = q.reserve();
    expect(q.pending).toBe(3);
    expect(q.complete(c, 'c')).toEqual([]);
    expect(q.complete(b, 'b')).toEqual([]);
    expect(q.pending).toBe(3);
    expect(q.complete(a, 'a')).toEqual(['a', 'b', 'c']);
    expect(q.pending).toBe(0);
  });

  it('skips empty slots (acks=0) without blocking later responses', () => {
    const q = new ResponseQueue<string>();
    const a = q.reserve();
    const b = q.reserve();
    expect(q.complete(a, null)).toEqual([]);
    expect(q.complete(b, 'b')).toEqual(['b']);
  });

  it('refuses to complete a slot twice or one never reserved', () => {
    const q = new ResponseQueue<string>();
    const a = q.reserve();
    q.complete(a, 'a');
    expect(() => q.complete(a, 'again')).toThrow();
    expect(() => q.complete(5, 'x')).toThrow();
  });

  it('keeps order under a random completion schedule', () => {
    const q = new ResponseQueue<number>();
    const out: number[] = [];
    const slots = Array.from({ length: 200 }, () => q.reserve());
    const order = [...slots].sort(() => Math.random() - 0.5);
    for (const s of order) out.push(...q.complete(s, s));
    expect(out).toEqual(slots);
  });
});
