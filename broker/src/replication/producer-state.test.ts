import { describe, expect, it } from '@jest/globals';
import { MAX_BATCHES_PER_PRODUCER, ProducerStateTable, incrementSequence, type ProducerBatch } from './producer-state.js';

const INT32_MAX = 2147483647;
const batch = (producerId: number, producerEpoch: number, baseSequence: number, records = 1): ProducerBatch => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: records - 1,
});

/** Check, and record when accepted, like Partition.appendAsLeader; returns the check kind. */
function offer(t: ProducerStateTable, b: ProducerBatch, nextOffset: { v: number }): string {
  const c = t.check(b);
  if (c.kind === 'append') {
    t.record(b, nextOffset.v, -1, 0);
    nextOffset.v += b.lastOffsetDelta + 1;
  }
  return c.kind === 'error' ? c.error : c.kind;
}

describe('ProducerStateTable', () => {
  it('accepts batches without a producer id unconditionally', () => {
    const t = new ProducerStateTable();
    expect(t.check(batch(-1, -1, -1)).kind).toBe('append');
    t.record(batch(-1, -1, -1), 0, -1, 0);
    expect(t.size).toBe(0);
  });

  it('accepts in-sequence batches and rejects gaps', () => {
    const t = new ProducerStateTable();
    const off = { v: 0 };
    expect(offer(t, batch(1, 0, 0, 3), off)).toBe('append');
    expect(offer(t, batch(1, 0, 3, 2), off)).toBe('append');
    expect(offer(t, batch(1, 0, 6, 1), off)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(offer(t, batch(1, 0, 4, 1), off)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(offer(t, batch(1, 0, 5, 1), off)).toBe('append');
  });

  it('answers a retried batch with its original offsets', () => {
    const t = new ProducerStateTable();
    const off = { v: 100 };
    offer(t, batch(9, 0, 0, 5), off); // offsets 100-104
    offer(t, batch(9, 0, 5, 5), off); // 105-109
    const c = t.check(batch(9, 0, 0, 5));
    expect(c).toEqual({ kind: 'duplicate', batch: { firstSeq: 0, lastSeq: 4, firstOffset: 100, lastOffset: 104, appendTime: -1 } });
    expect(t.check(batch(9, 0, 5, 5))).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 105 } });
  });

  it('remembers only the last 5 batches', () => {
    const t = new ProducerStateTable();
    const off = { v: 0 };
    for (let s = 0; s < 7; s++) expect(offer(t, batch(2, 0, s), off)).toBe('append');
    expect(t.entry(2)?.batches).toHaveLength(MAX_BATCHES_PER_PRODUCER);
    expect(t.check(batch(2, 0, 2)).kind).toBe('duplicate');
    // Too old to be recognised: now just out of order.
    expect(t.check(batch(2, 0, 1)).kind).toBe('error');
  });

  it('fences older epochs and requires sequence 0 for a new epoch', () => {
    const t = new ProducerStateTable();
    const off = { v: 0 };
    offer(t, batch(3, 1, 0, 2), off);
    expect(offer(t, batch(3, 0, 2), off)).toBe('INVALID_PRODUCER_EPOCH');
    expect(offer(t, batch(3, 2, 5), off)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(offer(t, batch(3, 2, 0), off)).toBe('append');
    expect(t.entry(3)?.epoch).toBe(2);
    expect(t.entry(3)?.batches).toHaveLength(1);
    // The old epoch's batches are forgotten: a retry of them is fenced, not a duplicate.
    expect(offer(t, batch(3, 1, 0, 2), off)).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('lets an unknown producer start at any sequence (KIP-360)', () => {
    const t = new ProducerStateTable();
    const off = { v: 0 };
    expect(offer(t, batch(4, 0, 42), off)).toBe('append');
    expect(offer(t, batch(4, 0, 43), off)).toBe('append');
    expect(offer(t, batch(4, 0, 45), off)).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
  });

  it('wraps sequences at Int32 max', () => {
    expect(incrementSequence(INT32_MAX, 1)).toBe(0);
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1);
    const t = new ProducerStateTable();
    const off = { v: 0 };
    expect(offer(t, batch(5, 0, INT32_MAX - 1, 2), off)).toBe('append');
    expect(t.entry(5)?.batches[0]?.lastSeq).toBe(INT32_MAX);
    expect(offer(t, batch(5, 0, 0, 1), off)).toBe('append');
    expect(offer(t, batch(6, 0, INT32_MAX, 3), off)).toBe('append');
    expect(t.entry(6)?.batches[0]?.lastSeq).toBe(1);
    expect(offer(t, batch(6, 0, 2), off)).toBe('append');
  });

  it('replays without checks (load from log) and expires idle producers', () => {
    const t = new ProducerStateTable();
    t.record(batch(7, 0, 0, 2), 10, -1, 1000);
    t.record(batch(7, 1, 0, 1), 12, -1, 1000);
    t.record(batch(8, 0, 10, 1), 13, 5555, 5000);
    expect(t.entry(7)).toMatchObject({ epoch: 1, batches: [{ firstOffset: 12 }] });
    expect(t.check(batch(8, 0, 10))).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 13, appendTime: 5555 } });
    expect(t.expireIdle(2000)).toBe(1);
    expect(t.entry(7)).toBeUndefined();
    expect(t.entry(8)).toBeDefined();
  });
});
