import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Log } from './log.js';
import type { ModelBatch } from './log-model.js';
import { openLog } from './open-log.js';
import { makeBatch, splitBatches } from './test-batches.js';
import type { LogConfig } from './types.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-retention-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let runs = 0;

const cfg = (segmentBytes: number): LogConfig => ({
  segmentBytes,
  segmentMs: 1e12,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 128,
  segmentIndexBytes: 4096,
});

function build(segmentBytes: number, specs: { payloadBytes: number; maxTimestamp: number }[]): { log: Log; model: ModelBatch[] } {
  const log = openLog(path.join(tmpRoot, `r-${runs++}`), cfg(segmentBytes), { clean: true });
  const model: ModelBatch[] = [];
  for (const s of specs) {
    const r = log.append(makeBatch({ records: 2, ...s }));
    model.push({ baseOffset: r.firstOffset, lastOffset: r.lastOffset, maxTimestamp: s.maxTimestamp, bytes: makeBatch({ records: 2, ...s, baseOffset: r.firstOffset }) });
  }
  return { log, model };
}

/** Per segment (by base offsets): its batches. */
function bySegment(bases: number[], model: ModelBatch[]): ModelBatch[][] {
  return bases.map((b, i) => model.filter((m) => m.baseOffset >= b && m.baseOffset < (bases[i + 1] ?? Infinity)));
}

function visible(log: Log): number[] {
  return splitBatches(log.read(log.logStartOffset, 1 << 30, Infinity, true).chunks).map((b) => b.baseOffset);
}

const specsArb = fc.array(fc.record({ payloadBytes: fc.integer({ min: 0, max: 200 }), maxTimestamp: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 40 });

describe('retention', () => {
  it('retention.bytes deletes the oldest whole segments while the log stays over the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1000 }), specsArb, fc.integer({ min: 0, max: 6000 }), (segmentBytes, specs, limit) => {
        const { log, model } = build(segmentBytes, specs);
        const segs = bySegment(log.segmentBaseOffsets(), model);
        const sizes = segs.map((s) => s.reduce((n, b) => n + b.bytes.length, 0));
        let excess = sizes.reduce((a, b) => a + b, 0) - limit;
        let expectDeleted = 0;
        while (expectDeleted < sizes.length && (sizes[expectDeleted] ?? 0) > 0 && excess - (sizes[expectDeleted] ?? 0) >= 0) excess -= sizes[expectDeleted++] ?? 0;
        log.config = { ...log.config, retentionBytes: limit };
        const leo = log.logEndOffset;
        const deleted = log.enforceRetention(Date.now());
        expect(deleted).toBe(expectDeleted);
        const kept = segs.slice(expectDeleted).flat();
        expect(visible(log)).toEqual(kept.map((b) => b.baseOffset));
        expect(log.logStartOffset).toBe(kept[0]?.baseOffset ?? leo);
        expect(log.logEndOffset).toBe(leo);
        // Appends continue densely after everything was deleted.
        expect(log.append(makeBatch({ records: 1, payloadBytes: 1, maxTimestamp: 1 })).firstOffset).toBe(leo);
        log.close();
      }),
      { numRuns: 60 },
    );
  });

  it('retention.ms deletes the prefix of segments whose newest timestamp is past retention', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 1000 }), specsArb, fc.integer({ min: 0, max: 1000 }), fc.boolean(), (segmentBytes, specs, retentionMs, reopen) => {
        let { log, model } = build(segmentBytes, specs);
        if (reopen) {
          const dir = log.dir;
          log.close();
          log = openLog(dir, cfg(segmentBytes), { clean: true });
        }
        const now = 1500;
        const segs = bySegment(log.segmentBaseOffsets(), model);
        let expectDeleted = 0;
        for (const s of segs) {
          if (s.length === 0 || !(now - Math.max(...s.map((b) => b.maxTimestamp)) > retentionMs)) break;
          expectDeleted++;
        }
        log.config = { ...log.config, retentionMs };
        const leo = log.logEndOffset;
        expect(log.enforceRetention(now)).toBe(expectDeleted);
        const kept = segs.slice(expectDeleted).flat();
        expect(visible(log)).toEqual(kept.map((b) => b.baseOffset));
        expect(log.logStartOffset).toBe(kept[0]?.baseOffset ?? leo);
        model = kept;
        // Survives a restart.
        const dir = log.dir;
        log.close();
        const again = openLog(dir, cfg(segmentBytes), { clean: false });
        expect(again.logStartOffset).toBe(kept[0]?.baseOffset ?? leo);
        expect(visible(again)).toEqual(model.map((b) => b.baseOffset));
        again.close();
      }),
      { numRuns: 60 },
    );
  });

  it('never deletes past the given upper bound (high watermark)', () => {
    const { log } = build(200, Array.from({ length: 20 }, (_, i) => ({ payloadBytes: 100, maxTimestamp: i })));
    log.config = { ...log.config, retentionMs: 0 };
    const bases = log.segmentBaseOffsets();
    const hw = bases[3] as number;
    log.enforceRetention(10_000, hw);
    expect(log.logStartOffset).toBe(hw);
    log.close();
  });
});
