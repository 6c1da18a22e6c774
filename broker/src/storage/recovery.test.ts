import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { OFF_PARTITION_LEADER_EPOCH } from '../protocol/records/batch-header.js';
import type { ModelBatch } from './log-model.js';
import { openLog } from './open-log.js';
import { segmentFileName } from './segment.js';
import { makeBatch, splitBatches } from './test-batches.js';
import type { LogConfig } from './types.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-recovery-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let runs = 0;

const cfg: LogConfig = {
  segmentBytes: 1500,
  segmentMs: 1e12,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 200,
  segmentIndexBytes: 1024,
};

/** Files of the last segment of a log dir. */
function lastSegmentLog(dir: string): string {
  const logs = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return path.join(dir, logs[logs.length - 1] as string);
}

function lastAtOrBefore(starts: number[], pos: number): number {
  let i = -1;
  starts.forEach((s, k) => {
    if (s <= pos) i = k;
  });
  return i;
}

function readAll(dir: string, clean: boolean): { batches: ReturnType<typeof splitBatches>; leo: number } {
  const log = openLog(dir, cfg, { clean });
  const batches = splitBatches(log.read(log.logStartOffset, 1 << 30, Infinity, true).chunks);
  const leo = log.logEndOffset;
  log.close();
  return { batches, leo };
}

describe('crash recovery', () => {
  it('keeps every intact batch before garbled/truncated tail bytes and serves nothing after', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ records: fc.integer({ min: 1, max: 4 }), payloadBytes: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('flip', 'truncate', 'both'),
        fc.boolean(),
        (specs, where, flips, mode, flushFirst) => {
          const dir = path.join(tmpRoot, `c-${runs++}`);
          const log = openLog(dir, cfg, { clean: true });
          const model: ModelBatch[] = [];
          for (const [i, s] of specs.entries()) {
            const r = log.append(makeBatch({ ...s, maxTimestamp: i, fill: i & 0xff }));
            model.push({ baseOffset: r.firstOffset, lastOffset: r.lastOffset, maxTimestamp: i, bytes: makeBatch({ ...s, maxTimestamp: i, fill: i & 0xff, baseOffset: r.firstOffset }) });
            // Flushing moves the recovery point: earlier segments are then trusted, not rescanned.
            if (flushFirst && i === Math.floor(specs.length / 2)) log.flush();
          }
          const crashed = dir + '-crash';
          fs.cpSync(dir, crashed, { recursive: true });
          log.close();

          const file = lastSegmentLog(crashed);
          const segBase = Number(path.basename(file, '.log'));
          const data = fs.readFileSync(file);
          if (data.length === 0) return;
          // Batches of the last segment with their positions.
          const inSeg = model.filter((b) => b.baseOffset >= segBase);
          const starts: number[] = [];
          let p = 0;
          for (const b of inSeg) {
            starts.push(p);
            p += b.bytes.length;
          }
          let damage = Math.floor(where * data.length);
          // partitionLeaderEpoch is not covered by the CRC (as in Kafka); damage the CRC field instead.
          const owner = lastAtOrBefore(starts, damage);
          const rel = damage - (starts[owner] ?? 0);
          if (rel >= OFF_PARTITION_LEADER_EPOCH && rel < OFF_PARTITION_LEADER_EPOCH + 4) damage += 8;
          let garbled = data;
          if (mode !== 'truncate') {
            garbled = Buffer.from(data);
            for (let k = 0; k < flips && damage + k < garbled.length; k++) garbled[damage + k] = (garbled[damage + k] as number) ^ 0x5a;
          }
          if (mode !== 'flip') garbled = garbled.subarray(0, mode === 'both' ? Math.min(garbled.length, damage + flips + 3) : damage);
          fs.writeFileSync(file, garbled);

          const damagedIdx = lastAtOrBefore(starts, damage);
          const keepCount = model.length - inSeg.length + Math.max(0, damagedIdx);
          const { batches, leo } = readAll(crashed, false);
          const want = model.slice(0, keepCount);
          expect(batches.map((b) => b.baseOffset)).toEqual(want.map((b) => b.baseOffset));
          batches.forEach((b, i) => expect(b.bytes.equals((want[i] as ModelBatch).bytes)).toBe(true));
          expect(leo).toBe(want.length === 0 ? segBase : (want[want.length - 1] as ModelBatch).lastOffset + 1);
          // And the result is stable: a second (clean) open sees the same.
          expect(readAll(crashed, true).batches.length).toBe(want.length);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('drops segments after a damaged one and rebuilds missing indexes', () => {
    const dir = path.join(tmpRoot, `c-${runs++}`);
    const log = openLog(dir, cfg, { clean: true });
    for (let i = 0; i < 60; i++) log.append(makeBatch({ records: 2, payloadBytes: 100, maxTimestamp: i }));
    expect(log.segmentCount).toBeGreaterThan(3);
    const bases = log.segmentBaseOffsets();
    log.close();
    // Damage the second segment's third batch; lose the first segment's index files.
    const second = path.join(dir, segmentFileName(bases[1] as number, '.log'));
    const data = fs.readFileSync(second);
    const pos = 2 * 161 + 40;
    data[pos] = (data[pos] as number) ^ 1;
    fs.writeFileSync(second, data);
    fs.rmSync(path.join(dir, segmentFileName(0, '.index')));
    fs.rmSync(path.join(dir, segmentFileName(0, '.timeindex')));
    // Without a recovery point checkpoint nothing is trusted: every segment is CRC-checked.
    fs.rmSync(path.join(dir, 'partition.checkpoint'));
    const again = openLog(dir, cfg, { clean: false });
    expect(again.segmentCount).toBe(2);
    expect(again.logEndOffset).toBe((bases[1] as number) + 4);
    expect(again.findBatchByTimestamp(3)?.baseOffset).toBe(6);
    expect(splitBatches(again.read(5, 1 << 20, Infinity, false).chunks)[0]?.baseOffset).toBe(4);
    again.close();
  });

  it('trusted segments with missing index files get them rebuilt', () => {
    const dir = path.join(tmpRoot, `c-${runs++}`);
    const log = openLog(dir, cfg, { clean: true });
    for (let i = 0; i < 60; i++) log.append(makeBatch({ records: 2, payloadBytes: 100, maxTimestamp: i }));
    log.close();
    fs.rmSync(path.join(dir, segmentFileName(0, '.index')));
    fs.rmSync(path.join(dir, segmentFileName(0, '.timeindex')));
    const again = openLog(dir, cfg, { clean: true });
    expect(fs.statSync(path.join(dir, segmentFileName(0, '.index'))).size).toBeGreaterThan(0);
    expect(again.findBatchByTimestamp(3)?.baseOffset).toBe(6);
    expect(again.logEndOffset).toBe(120);
    again.close();
  });

  it('a clean-flagged open still recovers an active segment with a torn tail', () => {
    const dir = path.join(tmpRoot, `c-${runs++}`);
    const log = openLog(dir, cfg, { clean: true });
    for (let i = 0; i < 5; i++) log.append(makeBatch({ records: 1, payloadBytes: 50, maxTimestamp: i }));
    log.close();
    const file = lastSegmentLog(dir);
    fs.truncateSync(file, fs.statSync(file).size - 10);
    const again = openLog(dir, cfg, { clean: true });
    expect(again.logEndOffset).toBe(4);
    again.close();
  });
});
