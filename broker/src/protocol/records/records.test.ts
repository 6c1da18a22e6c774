import fc from 'fast-check';
import { ErrorCode, KafkaError } from '../errors.js';
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  OFF_ATTRIBUTES,
  OFF_MAGIC,
  batchCrcValid,
  batchSizeAt,
  firstTimestampAt,
  maxTimestampAt,
  partitionLeaderEpochAt,
} from './batch-header.js';
import { setPartitionLeaderEpoch, stampLogAppendTime, validateRecordBatches } from './batch-validation.js';
import { buildBatch, buildBatchSync, decodeBatch, decodeBatches, type RecordInput } from './record-codec.js';
import { Compression, compressSync, decompress, type CompressionType } from './compression.js';
import snappy from 'snappy';

const recs = (n: number, ts = 1700000000000): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({
    timestamp: ts + i,
    key: i % 2 ? null : Buffer.from(`k${i}`),
    value: Buffer.from(`value-${i}`.repeat(5)),
    headers: [{ key: 'h', value: Buffer.from([i]) }],
  }));

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return undefined;
}

describe('validateRecordBatches', () => {
  it('summarises valid batches', () => {
    const a = buildBatchSync({ records: recs(3), producerId: 7, producerEpoch: 1, baseSequence: 10 });
    const b = buildBatchSync({ records: recs(2, 5), compression: Compression.GZIP, transactional: true });
    const s = validateRecordBatches(Buffer.concat([a, b]));
    expect(s).toHaveLength(2);
    expect(s[0]).toMatchObject({ position: 0, size: a.length, lastOffsetDelta: 2, recordCount: 3, producerId: 7, producerEpoch: 1, baseSequence: 10, compression: 0, firstTimestamp: 1700000000000, maxTimestamp: 1700000000002, transactional: false, control: false });
    expect(s[1]).toMatchObject({ position: a.length, size: b.length, compression: 1, transactional: true, recordCount: 2 });
  });

  it('rejects bad CRC, magic, truncation, trailing bytes and count mismatch', () => {
    const good = buildBatchSync({ records: recs(2) });
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 0xff;
    expect(codeOf(() => validateRecordBatches(badCrc))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const badMagic = Buffer.from(good);
    badMagic[OFF_MAGIC] = 1;
    expect(codeOf(() => validateRecordBatches(badMagic))).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    for (const cut of [1, 10, 20, 60, good.length - 1]) {
      expect(codeOf(() => validateRecordBatches(good.subarray(0, cut)))).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
    expect(codeOf(() => validateRecordBatches(Buffer.concat([good, Buffer.alloc(5)])))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const gap = buildBatchSync({ records: [{ key: null, value: null, offsetDelta: 0 }, { key: null, value: null, offsetDelta: 5 }] });
    expect(codeOf(() => validateRecordBatches(gap))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(validateRecordBatches(gap, { requireDenseOffsets: false })).toHaveLength(1);
    expect(validateRecordBatches(Buffer.alloc(0))).toEqual([]);
  });
});

describe('in-place header edits', () => {
  it('stampLogAppendTime sets the type bit and maxTimestamp, keeps firstTimestamp, fixes the CRC', async () => {
    const b = buildBatchSync({ records: recs(3, 1000) });
    stampLogAppendTime(b, 0, 99999);
    expect(b.readInt16BE(OFF_ATTRIBUTES) & ATTR_TIMESTAMP_TYPE_LOG_APPEND).toBeTruthy();
    expect(maxTimestampAt(b, 0)).toBe(99999);
    expect(firstTimestampAt(b, 0)).toBe(1000);
    expect(batchCrcValid(b, 0, batchSizeAt(b, 0))).toBe(true);
    const d = await decodeBatch(b);
    expect(d.records.map((r) => r.timestamp)).toEqual([99999, 99999, 99999]);
  });

  it('setPartitionLeaderEpoch leaves the CRC valid', () => {
    const b = buildBatchSync({ records: recs(1) });
    setPartitionLeaderEpoch(b, 0, 42);
    expect(partitionLeaderEpochAt(b, 0)).toBe(42);
    expect(validateRecordBatches(b)).toHaveLength(1);
  });
});

describe('compression', () => {
  it('decodes raw and xerial-framed snappy', async () => {
    const data = Buffer.from('snappy snappy snappy '.repeat(5000));
    expect((await decompress(Compression.SNAPPY, snappy.compressSync(data))).equals(data)).toBe(true);
    const framed = compressSync(Compression.SNAPPY, data);
    expect(framed.subarray(1, 7).toString()).toBe('SNAPPY');
    expect((await decompress(Compression.SNAPPY, framed)).equals(data)).toBe(true);
  });

  it('maps garbage to CORRUPT_MESSAGE', async () => {
    for (const c of [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
      await expect(decompress(c, Buffer.from('not compressed at all'))).rejects.toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
    }
  });
});

const codecs: CompressionType[] = [Compression.NONE, Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD];

const recordArb = fc.record({
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)), { nil: null }),
  headers: fc.array(
    fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)), { nil: null }) }),
    { maxLength: 3 },
  ),
});

describe('record encode/decode round trip (property)', () => {
  it.each(codecs)('codec %d', async (compression) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: -1, max: 2 ** 40 }),
        async (records, baseOffset, producerId) => {
          const buf = await buildBatch({ baseOffset, records, compression, producerId, producerEpoch: 3, baseSequence: 0 });
          const [summary] = validateRecordBatches(buf);
          expect(summary?.recordCount).toBe(records.length);
          expect(summary?.compression).toBe(compression);
          const d = await decodeBatch(buf);
          expect(d).toMatchObject({ baseOffset, producerId, producerEpoch: 3, recordCount: records.length, compression });
          expect(d.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
          d.records.forEach((r, i) => {
            const src = records[i]!;
            expect(r.offset).toBe(baseOffset + i);
            expect(r.timestamp).toBe(src.timestamp);
            expect(r.key).toEqual(src.key);
            expect(r.value).toEqual(src.value);
            expect(r.headers).toEqual(src.headers);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decodeBatches walks several batches', async () => {
    const a = await buildBatch({ baseOffset: 0, records: recs(2), compression: Compression.ZSTD });
    const b = await buildBatch({ baseOffset: 2, records: recs(3), compression: Compression.LZ4 });
    const all = await decodeBatches(Buffer.concat([a, b]));
    expect(all.flatMap((x) => x.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4]);
  });

  it('decodeBatch reports corruption as KafkaError', async () => {
    const b = buildBatchSync({ records: recs(2) });
    const cut = Buffer.from(b);
    cut.writeInt32BE(1000, 57); // absurd record count
    await expect(decodeBatch(cut)).rejects.toMatchObject({ code: ErrorCode.CORRUPT_MESSAGE });
  });
});
