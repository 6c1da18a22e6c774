import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFF_CRC, OFF_PARTITION_LEADER_EPOCH, maxTimestampAt, batchCrcValid, batchSizeAt } from '../protocol/records/batch-header.js';
import { buildBatchSync, type BuildBatchOptions } from '../protocol/records/record-codec.js';
import { openLog } from '../storage/open-log.js';
import type { LogConfig, PartitionLog } from '../storage/types.js';
import { PartitionError } from './errors.js';
import { Partition, type AppendConfig } from './partition.js';

const LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 1024 * 1024,
};
const APPEND: AppendConfig = { maxMessageBytes: 1048588, timestampType: 'CreateTime', minInsyncReplicas: 1, segmentBytes: 1024 * 1024 };

const records = (n: number, opts: Partial<BuildBatchOptions> = {}): Buffer =>
  buildBatchSync({
    records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: 1000 + i })),
    ...opts,
  });

let dir: string;
let logs: PartitionLog[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strand-partition-'));
});
afterEach(() => {
  for (const l of logs) l.close();
  logs = [];
  rmSync(dir, { recursive: true, force: true });
});

function open(config: Partial<AppendConfig> = {}, now = () => 5_000_000): Partition {
  const log = openLog(join(dir, 't-0'), LOG_CONFIG, { clean: true });
  logs.push(log);
  const p = new Partition({
    topic: 't',
    partition: 0,
    log,
    localBrokerId: 0,
    leaderId: 0,
    leaderEpoch: 3,
    isr: [0],
    config: { ...APPEND, ...config },
    now,
  });
  p.loadProducerState();
  return p;
}

const kindOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof PartitionError) return e.kind;
    throw e;
  }
  return 'ok';
};

describe('Partition.appendAsLeader', () => {
  it('assigns dense offsets, stamps the leader epoch, and moves HW to LEO', () => {
    const p = open();
    const appended: number[] = [];
    const a = p.appendAsLeader(records(3), 1);
    const buf = records(2);
    const b = p.appendAsLeader(buf, -1);
    appended.push(a.firstOffset, a.lastOffset, b.firstOffset, b.lastOffset);
    expect(appended).toEqual([0, 2, 3, 4]);
    expect(a.logAppendTime).toBe(-1);
    expect(buf.readInt32BE(OFF_PARTITION_LEADER_EPOCH)).toBe(3);
    expect(p.highWatermark).toBe(5);
    expect(p.logEndOffset).toBe(5);
    expect(p.bytesAppended).toBeGreaterThan(0);
    const read = p.read(0, 1 << 20, true);
    expect(read.highWatermark).toBe(5);
    expect(read.chunks.length).toBeGreaterThan(0);
  });

  it('stamps LogAppendTime in place with a valid CRC', () => {
    const p = open({ timestampType: 'LogAppendTime' }, () => 1_700_000_000_000);
    const buf = records(2);
    const crcBefore = buf.readUInt32BE(OFF_CRC);
    const out = p.appendAsLeader(buf, 1);
    expect(out.logAppendTime).toBe(1_700_000_000_000);
    expect(maxTimestampAt(buf, 0)).toBe(1_700_000_000_000);
    expect(buf.readUInt32BE(OFF_CRC)).not.toBe(crcBefore);
    expect(batchCrcValid(buf, 0, batchSizeAt(buf, 0))).toBe(true);
  });

  it('rejects corrupt and oversized batches', () => {
    const p = open({ maxMessageBytes: 200 });
    const bad = records(1);
    bad.writeUInt8((bad.at(-1) ?? 0) ^ 0xff, bad.length - 1);
    expect(kindOf(() => p.appendAsLeader(bad, 1))).toBe('CORRUPT_MESSAGE');
    expect(kindOf(() => p.appendAsLeader(records(1).subarray(0, 30), 1))).toBe('CORRUPT_MESSAGE');
    expect(kindOf(() => p.appendAsLeader(records(50), 1))).toBe('MESSAGE_TOO_LARGE');
    expect(p.logEndOffset).toBe(0);
  });

  it('refuses acks=all when the ISR is below min.insync.replicas', () => {
    const p = open({ minInsyncReplicas: 2 });
    expect(kindOf(() => p.appendAsLeader(records(1), -1))).toBe('NOT_ENOUGH_REPLICAS');
    expect(kindOf(() => p.appendAsLeader(records(1), 1))).toBe('ok');
  });

  it('deduplicates idempotent retries and rejects sequence gaps', () => {
    const p = open();
    const idem = (seq: number, n = 2, epoch = 0): Buffer => records(n, { producerId: 77, producerEpoch: epoch, baseSequence: seq });
    expect(p.appendAsLeader(idem(0), -1).firstOffset).toBe(0);
    expect(p.appendAsLeader(idem(2), -1).firstOffset).toBe(2);
    const retry = p.appendAsLeader(idem(0), -1);
    expect(retry).toMatchObject({ firstOffset: 0, lastOffset: 1, duplicate: true });
    expect(p.logEndOffset).toBe(4);
    expect(kindOf(() => p.appendAsLeader(idem(9), -1))).toBe('OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(kindOf(() => p.appendAsLeader(idem(0, 1, 1), -1))).toBe('ok');
    expect(kindOf(() => p.appendAsLeader(idem(1, 1, 0), -1))).toBe('INVALID_PRODUCER_EPOCH');
  });

  it('rebuilds producer state from the log tail on load', () => {
    const p = open();
    p.appendAsLeader(records(2, { producerId: 5, producerEpoch: 0, baseSequence: 0 }), 1);
    p.appendAsLeader(records(1), 1);
    p.appendAsLeader(records(3, { producerId: 5, producerEpoch: 0, baseSequence: 2 }), 1);
    logs.pop()?.close();
    const q = open();
    expect(q.logEndOffset).toBe(6);
    expect(q.appendAsLeader(records(3, { producerId: 5, producerEpoch: 0, baseSequence: 2 }), 1)).toMatchObject({ firstOffset: 3, duplicate: true });
    expect(q.appendAsLeader(records(1, { producerId: 5, producerEpoch: 0, baseSequence: 5 }), 1).firstOffset).toBe(6);
  });

  it('deleteRecordsBefore moves the log start offset up to the HW only', () => {
    const p = open();
    p.appendAsLeader(records(5), 1);
    expect(p.deleteRecordsBefore(2)).toBe(2);
    expect(p.logStartOffset).toBe(2);
    expect(() => p.deleteRecordsBefore(6)).toThrow(/out of range/);
    expect(p.deleteRecordsBefore(-1)).toBe(5);
  });
});
