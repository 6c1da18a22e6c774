import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { FileHandleCache } from './fd-cache.js';
import { CLEAN_SHUTDOWN_MARKER, LogManager, type LogManagerOptions, parseLogDirName } from './log-manager.js';
import { makeBatch, splitBatches } from './test-batches.js';
import type { LogConfig } from './types.js';

const config: LogConfig = {
  segmentBytes: 400,
  segmentMs: 1e12,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 100,
  segmentIndexBytes: 4096,
};

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-lm-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const opts = (extra: Partial<LogManagerOptions> = {}): LogManagerOptions => ({
  dataDir,
  logger: pino({ level: 'silent' }),
  defaultConfig: config,
  ...extra,
});

describe('LogManager', () => {
  it('parses <topic>-<partition> from the last dash', () => {
    expect(parseLogDirName('my-topic.v1-12')).toEqual({ topic: 'my-topic.v1', partition: 12 });
    expect(parseLogDirName('__consumer_offsets-3')).toEqual({ topic: '__consumer_offsets', partition: 3 });
    expect(parseLogDirName('nodash')).toBeNull();
    expect(parseLogDirName('t-x')).toBeNull();
    expect(parseLogDirName('-1')).toBeNull();
  });

  it('reloads every partition and tracks clean shutdown', () => {
    const m = LogManager.open(opts());
    expect(m.wasCleanShutdown).toBe(false);
    m.getOrCreate('a-b.c', 0, config).append(makeBatch({ records: 3, payloadBytes: 10, maxTimestamp: 1 }));
    m.getOrCreate('a-b.c', 1, config).append(makeBatch({ records: 2, payloadBytes: 10, maxTimestamp: 1 }));
    m.close();
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER))).toBe(true);

    const m2 = LogManager.open(opts());
    expect(m2.wasCleanShutdown).toBe(true);
    expect(fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_MARKER))).toBe(false);
    expect(m2.all().map((l) => `${l.topic}/${l.partition}/${l.log.logEndOffset}`).sort()).toEqual(['a-b.c/0/3', 'a-b.c/1/2']);
    expect(m2.get('a-b.c', 1)?.logEndOffset).toBe(2);
    expect(m2.remove('a-b.c', 1)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'a-b.c-1'))).toBe(false);
    expect(m2.get('a-b.c', 1)).toBeUndefined();
    // No close(): the next open is unclean and recovers.
    m2.flushAll();
    const m3 = LogManager.open(opts());
    expect(m3.wasCleanShutdown).toBe(false);
    expect(m3.get('a-b.c', 0)?.logEndOffset).toBe(3);
    m3.close();
  });

  it('keeps open fds within the bound across many partitions', () => {
    const m = LogManager.open(opts({ maxOpenFiles: 16 }));
    const parts = 40;
    for (let round = 0; round < 6; round++) {
      for (let p = 0; p < parts; p++) {
        m.getOrCreate('many', p, config).append(makeBatch({ records: 1, payloadBytes: 150, maxTimestamp: round, fill: p }));
      }
    }
    for (let p = 0; p < parts; p++) {
      const log = m.get('many', p);
      const batches = splitBatches(log?.read(0, 1 << 20, Infinity, false).chunks ?? []);
      expect(batches.map((b) => b.baseOffset)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(log?.findBatchByTimestamp(3)?.baseOffset).toBe(3);
    }
    expect(m.fileHandles.peakOpenCount).toBeLessThanOrEqual(16);
    expect(m.fileHandles.openCount).toBeLessThanOrEqual(16);
    m.flushAll();
    m.close();
    const again = LogManager.open(opts({ maxOpenFiles: 16 }));
    expect(again.all().length).toBe(parts);
    expect(again.fileHandles.peakOpenCount).toBeLessThanOrEqual(16);
    again.close();
  });

  it('bounds loaded index memory', () => {
    const m = LogManager.open(opts({ maxIndexMemoryBytes: 2048 }));
    const log = m.getOrCreate('idx', 0, { ...config, segmentBytes: 2000, indexIntervalBytes: 0 });
    for (let i = 0; i < 400; i++) log.append(makeBatch({ records: 1, payloadBytes: 10, maxTimestamp: i }));
    for (let o = 0; o < 400; o += 7) expect(splitBatches(log.read(o, 100, Infinity, true).chunks)[0]?.baseOffset).toBe(o);
    expect(m.indexMemory.usedBytes).toBeLessThanOrEqual(2048 + 1024);
    m.close();
  });

  it('retention tick visits a bounded slice of logs', () => {
    const m = LogManager.open(opts({ retentionLogsPerTick: 2 }));
    for (let p = 0; p < 5; p++) {
      const log = m.getOrCreate('ret', p, { ...config, retentionMs: 10 });
      for (let i = 0; i < 10; i++) log.append(makeBatch({ records: 1, payloadBytes: 100, maxTimestamp: 0 }));
    }
    const first = m.retentionTick(1000);
    expect(first).toBeGreaterThan(0);
    const touched = m.all().filter((l) => l.log.logStartOffset > 0).length;
    expect(touched).toBe(2);
    m.runRetention(1000);
    expect(m.all().every((l) => l.log.logStartOffset === 10 && l.log.segmentCount === 1)).toBe(true);
    m.close();
  });
});

describe('FileHandleCache', () => {
  it('reopens evicted files transparently', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-fd-'));
    const cache = new FileHandleCache(4);
    const files = Array.from({ length: 10 }, (_, i) => cache.file(path.join(dir, `f${i}`), true));
    files.forEach((f, i) => f.write(Buffer.from([i]), 0, 1, 0));
    files.forEach((f, i) => expect(f.read(0, 1)[0]).toBe(i));
    expect(cache.peakOpenCount).toBeLessThanOrEqual(4);
    files.forEach((f) => f.close());
    expect(cache.openCount).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
