import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Log } from './log.js';
import { openLog } from './open-log.js';
import { makeBatch, splitBatches } from './test-batches.js';
import { type LogConfig, OffsetOutOfRangeError } from './types.js';

export const baseConfig: LogConfig = {
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
};

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-log-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const open = (cfg: Partial<LogConfig> = {}, clean = true): Log => openLog(path.join(tmp, 't-0'), { ...baseConfig, ...cfg }, { clean });

describe('Log basics', () => {
  it('assigns dense offsets in place and reads whole batches back', () => {
    const log = open();
    const a = makeBatch({ records: 3, payloadBytes: 10, maxTimestamp: 100, fill: 1 });
    const b = makeBatch({ records: 2, payloadBytes: 20, maxTimestamp: 200, fill: 2 });
    const r1 = log.append(a);
    expect(r1).toEqual({ firstOffset: 0, lastOffset: 2, maxTimestamp: 100, batchCount: 1, bytes: a.length });
    const r2 = log.append(b);
    expect(r2.firstOffset).toBe(3);
    expect(a.readBigInt64BE(0)).toBe(0n);
    expect(b.readBigInt64BE(0)).toBe(3n);
    expect(log.logEndOffset).toBe(5);
    const all = log.read(0, 1 << 20, Infinity, false);
    expect(Buffer.concat(all.chunks)).toEqual(Buffer.concat([a, b]));
    // Offset inside a batch returns the whole batch.
    expect(splitBatches(log.read(4, 1 << 20, Infinity, false).chunks).map((x) => x.baseOffset)).toEqual([3]);
    // High watermark excludes a batch whose last offset is at/above it.
    expect(log.read(0, 1 << 20, 4, false).bytes).toBe(a.length);
    expect(log.read(0, 1 << 20, 2, false).bytes).toBe(0);
    // maxBytes and minOneBatch.
    expect(log.read(0, 10, Infinity, false).bytes).toBe(0);
    expect(log.read(0, 10, Infinity, true).bytes).toBe(a.length);
    expect(log.read(5, 100, Infinity, true).bytes).toBe(0);
    expect(() => log.read(6, 100, Infinity, true)).toThrow(OffsetOutOfRangeError);
    log.close();
  });

  it('appends a buffer of several batches in one call', () => {
    const log = open();
    const buf = Buffer.concat([makeBatch({ records: 2, payloadBytes: 5, maxTimestamp: 5 }), makeBatch({ records: 4, payloadBytes: 5, maxTimestamp: 9 })]);
    const r = log.append(buf);
    expect(r).toMatchObject({ firstOffset: 0, lastOffset: 5, batchCount: 2, maxTimestamp: 9 });
    expect(splitBatches(log.read(0, 1 << 20, Infinity, false).chunks).map((x) => [x.baseOffset, x.lastOffset])).toEqual([
      [0, 1],
      [2, 5],
    ]);
    log.close();
  });

  it('rejects malformed buffers without changing the log', () => {
    const log = open();
    const good = makeBatch({ records: 1, payloadBytes: 5, maxTimestamp: 1 });
    expect(() => log.append(good.subarray(0, 40))).toThrow();
    expect(() => log.append(Buffer.concat([good, good.subarray(0, 62)]))).toThrow();
    expect(log.logEndOffset).toBe(0);
    expect(log.sizeInBytes).toBe(0);
    log.close();
  });

  it('rolls segments by size and reads across them', () => {
    const log = open({ segmentBytes: 300, indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) log.append(makeBatch({ records: 2, payloadBytes: 40, maxTimestamp: i, fill: i }));
    expect(log.segmentCount).toBeGreaterThan(5);
    expect(fs.readdirSync(log.dir).filter((f) => f.endsWith('.log'))[0]).toBe('00000000000000000000.log');
    const batches = splitBatches(log.read(0, 1 << 20, Infinity, false).chunks);
    expect(batches.map((b) => b.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    log.close();
    const again = open({ segmentBytes: 300, indexIntervalBytes: 100 });
    expect(again.logEndOffset).toBe(40);
    expect(splitBatches(again.read(17, 1 << 20, Infinity, false).chunks)[0]?.baseOffset).toBe(16);
    again.close();
  });

  it('rolls by segment.ms of the first append', () => {
    const log = open();
    let now = 1000;
    log.now = () => now;
    log.append(makeBatch({ records: 1, payloadBytes: 5, maxTimestamp: 1 }));
    now += baseConfig.segmentMs + 1;
    log.append(makeBatch({ records: 1, payloadBytes: 5, maxTimestamp: 1 }));
    expect(log.segmentCount).toBe(2);
    log.close();
  });

  it('appendWithOffsets requires offsets continuing at the log end', () => {
    const log = open();
    expect(() => log.appendWithOffsets(makeBatch({ records: 2, payloadBytes: 1, maxTimestamp: 1, baseOffset: 1 }))).toThrow();
    log.appendWithOffsets(makeBatch({ records: 2, payloadBytes: 1, maxTimestamp: 1, baseOffset: 0 }));
    log.appendWithOffsets(makeBatch({ records: 2, payloadBytes: 1, maxTimestamp: 1, baseOffset: 2 }));
    expect(log.logEndOffset).toBe(4);
    log.close();
  });

  it('persists the log start offset and deletes segments wholly below it', () => {
    const log = open({ segmentBytes: 200 });
    for (let i = 0; i < 10; i++) log.append(makeBatch({ records: 1, payloadBytes: 100, maxTimestamp: i }));
    const before = log.segmentCount;
    log.advanceLogStartOffset(5);
    expect(log.logStartOffset).toBe(5);
    expect(log.segmentCount).toBeLessThan(before);
    expect(() => log.read(4, 1000, Infinity, true)).toThrow(OffsetOutOfRangeError);
    expect(() => log.advanceLogStartOffset(11)).toThrow(OffsetOutOfRangeError);
    log.close();
    // A crash between the checkpoint write and the unlink leaves an old segment behind.
    fs.writeFileSync(path.join(log.dir, '00000000000000000000.log'), makeBatch({ records: 1, payloadBytes: 100, maxTimestamp: 0 }));
    const again = open({ segmentBytes: 200 }, false);
    expect(again.logStartOffset).toBe(5);
    expect(again.segmentBaseOffsets()[0]).toBeGreaterThan(0);
    expect(splitBatches(again.read(5, 1000, Infinity, true).chunks)[0]?.baseOffset).toBe(5);
    again.close();
  });

  it('truncating below the first segment restarts the log empty at that offset', () => {
    const log = open({ segmentBytes: 200, retentionBytes: 0 });
    for (let i = 0; i < 6; i++) log.append(makeBatch({ records: 2, payloadBytes: 100, maxTimestamp: i }));
    log.enforceRetention(Date.now());
    expect(log.logStartOffset).toBe(12);
    log.truncateTo(4);
    expect([log.logStartOffset, log.logEndOffset, log.sizeInBytes]).toEqual([4, 4, 0]);
    expect(log.append(makeBatch({ records: 1, payloadBytes: 1, maxTimestamp: 1 })).firstOffset).toBe(4);
    log.close();
    const again = open({ segmentBytes: 200 });
    expect([again.logStartOffset, again.logEndOffset]).toEqual([4, 5]);
    again.close();
  });

  it('a log start offset beyond the recovered end never lets offsets be reused', () => {
    const log = open();
    for (let i = 0; i < 5; i++) log.append(makeBatch({ records: 1, payloadBytes: 10, maxTimestamp: i }));
    log.advanceLogStartOffset(4);
    log.close();
    // Lose the tail (as if it never reached the disk).
    const file = path.join(tmp, 't-0', '00000000000000000000.log');
    fs.truncateSync(file, 2 * 71);
    const again = open({}, false);
    expect([again.logStartOffset, again.logEndOffset]).toEqual([4, 4]);
    again.close();
  });

  it('flushRolledSegments moves the recovery point to the active segment', async () => {
    const log = open({ segmentBytes: 200 });
    for (let i = 0; i < 6; i++) log.append(makeBatch({ records: 2, payloadBytes: 100, maxTimestamp: i }));
    expect(log.hasUnflushedRolledSegments).toBe(true);
    await log.flushRolledSegments();
    expect(log.hasUnflushedRolledSegments).toBe(false);
    expect(log.recoveryPointOffset).toBe(log.segmentBaseOffsets().at(-1));
    log.close();
  });

  it('deleteAll removes the directory', () => {
    const log = open();
    log.append(makeBatch({ records: 1, payloadBytes: 1, maxTimestamp: 1 }));
    log.deleteAll();
    expect(fs.existsSync(log.dir)).toBe(false);
  });
});
