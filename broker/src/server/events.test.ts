import { countErrorCodes, recordsInBatches } from './events.js';

/** A fake stored batch: only the header fields the counter reads are set. */
function batch(lastOffsetDelta: number, totalBytes: number): Buffer {
  const b = Buffer.alloc(totalBytes);
  b.writeInt32BE(totalBytes - 12, 8); // batchLength excludes baseOffset + length
  b.writeInt32BE(lastOffsetDelta, 23);
  return b;
}

describe('recordsInBatches', () => {
  test('sums lastOffsetDelta + 1 over batches, in one chunk or split anywhere (headers included)', () => {
    const stream = Buffer.concat([batch(9, 100), batch(0, 70), batch(99, 300)]);
    expect(recordsInBatches([stream])).toBe(111);
    for (const cut of [1, 20, 30, 99, 100, 101, 125, 169, 170, 200]) {
      expect([cut, recordsInBatches([stream.subarray(0, cut), stream.subarray(cut)])]).toEqual([cut, 111]);
    }
    expect(recordsInBatches([stream.subarray(0, 50), stream.subarray(50, 120), stream.subarray(120)])).toBe(111);
  });

  test('ignores a truncated header and handles empty input', () => {
    expect(recordsInBatches([])).toBe(0);
    expect(recordsInBatches([Buffer.alloc(0)])).toBe(0);
    expect(recordsInBatches([Buffer.concat([batch(4, 80), Buffer.alloc(10)])])).toBe(5);
  });
});

describe('countErrorCodes', () => {
  test('counts every errorCode in nested objects, skipping record data', () => {
    const counts = new Map<number, number>();
    countErrorCodes(
      {
        errorCode: 0,
        responses: [
          { topic: 't', partitions: [{ errorCode: 0, records: [Buffer.from([0, 1])] }, { errorCode: 6, records: null }] },
          { topic: 'u', partitions: [{ errorCode: 0, records: Buffer.alloc(3) }] },
        ],
      },
      counts,
    );
    expect(Object.fromEntries(counts)).toEqual({ 0: 3, 6: 1 });
  });
});
