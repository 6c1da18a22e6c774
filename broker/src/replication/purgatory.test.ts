import { describe, expect, it } from '@jest/globals';
import { Purgatory } from './purgatory.js';

describe('Purgatory', () => {
  it('completes at once when the check already passes', async () => {
    const p = new Purgatory();
    await expect(p.watch(['a'], 1000, () => true)).resolves.toBe('completed');
    expect(p.size).toBe(0);
  });

  it('completes when a watched key is checked and the condition holds', async () => {
    const p = new Purgatory();
    let ready = false;
    const w = p.watch(['a', 'b'], 10_000, () => ready);
    p.checkAndComplete('b');
    expect(p.size).toBe(1);
    ready = true;
    p.checkAndComplete('c'); // not watched: no effect
    expect(p.size).toBe(1);
    p.checkAndComplete('a');
    await expect(w).resolves.toBe('completed');
    expect(p.size).toBe(0);
  });

  it('expires after the timeout', async () => {
    const p = new Purgatory();
    await expect(p.watch(['a'], 20, () => false)).resolves.toBe('expired');
    expect(p.size).toBe(0);
  });

  it('is bounded', async () => {
    const p = new Purgatory(1);
    const first = p.watch(['a'], 10_000, () => false);
    await expect(p.watch(['a'], 10_000, () => false)).resolves.toBe('expired');
    p.shutdown();
    await expect(first).resolves.toBe('shutdown');
    await expect(p.watch(['a'], 10_000, () => false)).resolves.toBe('shutdown');
  });
});
