import { describe, expect, it } from '@jest/globals';
import { isReplicated, nextHighWatermark } from './high-watermark.js';

describe('nextHighWatermark', () => {
  it('equals the leader LEO with an ISR of one', () => {
    expect(nextHighWatermark(0, 10, [])).toBe(10);
  });
  it('is the smallest LEO in the ISR', () => {
    expect(nextHighWatermark(0, 10, [7, 12])).toBe(7);
  });
  it('never decreases', () => {
    expect(nextHighWatermark(8, 10, [5])).toBe(8);
    expect(nextHighWatermark(8, 10, [9])).toBe(9);
  });
  it('decides acks=all completion', () => {
    expect(isReplicated(5, 4)).toBe(true);
    expect(isReplicated(5, 5)).toBe(false);
  });
});
