/**
 * The invariant checker must be able to fail: each kind of violation it exists to catch is
 * planted in an otherwise good log and must be reported. No processes.
 */
import { checkInvariants, decodeBatches, UNKNOWN_OFFSET, type Observation, type SeqRecord } from './invariant-checker.js';
import { recordBatch } from './wire.js';

const parts = [0, 1];
/** p0: seq 0,2,4,... at offsets 0..; p1: seq 1,3,5,... */
function goodLog(n: number): SeqRecord[] {
  return Array.from({ length: n }, (_, seq) => ({ partition: seq % 2, offset: Math.floor(seq / 2), seq }));
}

test('a consistent log passes', () => {
  const log = goodLog(20);
  const observed: Observation[] = log.map((r) => ({ ...r, hw: 10, broker: 'b' }));
  expect(checkInvariants({ acked: log.slice(0, 16), read: log, partitions: parts, observed, producedSeqs: 20 })).toEqual([]);
});

test('a lost acknowledged record is reported', () => {
  const log = goodLog(20);
  const read = log.filter((r) => r.seq !== 7).map((r) => (r.partition === 1 && r.offset > 3 ? { ...r, offset: r.offset - 1 } : r));
  const v = checkInvariants({ acked: log, read, partitions: parts });
  expect(v.join('\n')).toMatch(/acknowledged records are not at their acknowledged offset: seq 7/);
});

test('implicit acks (no offset) pass when the record is stored in its partition, and are reported when it is not', () => {
  const log = goodLog(20);
  const acked = log.map((r) => (r.seq >= 10 && r.seq < 14 ? { ...r, offset: UNKNOWN_OFFSET } : r));
  expect(checkInvariants({ acked, read: log, partitions: parts, producedSeqs: 20 })).toEqual([]);
  const missing = log.filter((r) => r.seq !== 12);
  const v = checkInvariants({ acked, read: missing, partitions: parts, producedSeqs: 20 }).join('\n');
  expect(v).toMatch(/not at their acknowledged offset: seq 12 acked at p0@-1, log has nothing/);
});

test('a duplicate, a gap, reordering and a foreign record are each reported', () => {
  const log = goodLog(10);
  const dup = [...log, { partition: 0, offset: 5, seq: 2 }];
  expect(checkInvariants({ acked: [], read: dup, partitions: parts }).join('\n')).toMatch(/stored twice: seq 2/);
  const gap = log.filter((r) => !(r.partition === 0 && r.offset === 2));
  expect(checkInvariants({ acked: [], read: gap, partitions: parts }).join('\n')).toMatch(/not dense/);
  const swapped = log.map((r) => (r.partition === 0 && r.offset === 1 ? { ...r, offset: 2 } : r.partition === 0 && r.offset === 2 ? { ...r, offset: 1 } : r));
  expect(checkInvariants({ acked: [], read: swapped, partitions: parts }).join('\n')).toMatch(/out of produce order/);
  const foreign = [...log, { partition: 1, offset: 5, seq: -1 }];
  expect(checkInvariants({ acked: [], read: foreign, partitions: parts, producedSeqs: 10 }).join('\n')).toMatch(/nobody produced/);
});

test('a consumer served a record at/above HW, or one that later vanished, is reported', () => {
  const log = goodLog(10);
  const above: Observation[] = [{ partition: 0, offset: 4, seq: 8, hw: 4, broker: 'b0' }];
  expect(checkInvariants({ acked: [], read: log, partitions: parts, observed: above }).join('\n')).toMatch(/at\/above HW: p0@4 with HW 4/);
  const vanished: Observation[] = [{ partition: 1, offset: 4, seq: 99, hw: 5, broker: 'b1' }];
  expect(checkInvariants({ acked: [], read: log, partitions: parts, observed: vanished }).join('\n')).toMatch(/not in the final log: p1@4 seq 99/);
});

test('decodeBatches reads offsets and values, skips a partial tail and flags a bad CRC', () => {
  const batch = recordBatch([{ key: null, value: Buffer.from('seq-1') }, { key: Buffer.from('k'), value: Buffer.from('seq-2') }], Date.now());
  batch.writeBigInt64BE(40n, 0);
  const partial = batch.subarray(0, 30);
  const { records, anomalies } = decodeBatches(Buffer.concat([batch, partial]));
  expect(anomalies).toEqual([]);
  expect(records).toEqual([
    { offset: 40, value: 'seq-1' },
    { offset: 41, value: 'seq-2' },
  ]);
  const bad = Buffer.from(batch);
  bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
  expect(decodeBatches(bad).anomalies.join()).toMatch(/failed its CRC32C/);
});
