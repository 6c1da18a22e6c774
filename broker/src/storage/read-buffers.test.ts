import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLog } from './open-log.js';
import { borrowReadBuffer, idleReadBufferBytes, releaseReadBuffers, returnReadBuffer } from './read-buffers.js';
import { makeBatch, splitBatches } from './test-batches.js';
import type { LogConfig } from './types.js';

const config: LogConfig = {
  segmentBytes: 256 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
};

describe('read buffer pool', () => {
  it('recycles a released buffer for the next borrow of the same size class', () => {
    const a = borrowReadBuffer(100_000);
    expect(a.length).toBe(100_000);
    const before = idleReadBufferBytes();
    releaseReadBuffers([a.subarray(0, 10)]);
    expect(idleReadBufferBytes()).toBeGreaterThan(before);
    const b = borrowReadBuffer(120_000);
    expect(b.buffer).toBe(a.buffer);
    returnReadBuffer(b);
  });

  it('ignores buffers it did not lend and a second release of the same one', () => {
    const foreign = Buffer.alloc(200_000);
    const before = idleReadBufferBytes();
    releaseReadBuffers([foreign, Buffer.from('small')]);
    expect(idleReadBufferBytes()).toBe(before);
    const a = borrowReadBuffer(70_000);
    const afterBorrow = idleReadBufferBytes();
    releaseReadBuffers([a]);
    const once = idleReadBufferBytes();
    releaseReadBuffers([a]);
    expect(idleReadBufferBytes()).toBe(once);
    expect(once).toBeGreaterThan(afterBorrow);
    // Two borrows never share a backing store.
    const x = borrowReadBuffer(70_000);
    const y = borrowReadBuffer(70_000);
    expect(x.buffer).not.toBe(y.buffer);
    releaseReadBuffers([x, y]);
  });

  it('does not pool small or huge reads', () => {
    const small = borrowReadBuffer(1000);
    const before = idleReadBufferBytes();
    releaseReadBuffers([small]);
    expect(idleReadBufferBytes()).toBe(before);
  });
});

describe('pooled log reads', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-pool-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('return the same bytes as ordinary reads (across segments), also after buffers were recycled', () => {
    const log = openLog(path.join(tmp, 't-0'), config, { clean: true });
    for (let i = 0; i < 40; i++) log.append(makeBatch({ records: 20, payloadBytes: 1000 + i * 500, maxTimestamp: 1000 + i, fill: i }));
    const plain = log.read(0, 10 << 20, log.logEndOffset, true);
    for (let round = 0; round < 3; round++) {
      const pooled = log.read(0, 10 << 20, log.logEndOffset, true, true);
      expect(Buffer.concat(pooled.chunks).equals(Buffer.concat(plain.chunks))).toBe(true);
      expect(splitBatches(pooled.chunks).length).toBe(40);
      releaseReadBuffers(pooled.chunks);
    }
    log.close();
  });
});
