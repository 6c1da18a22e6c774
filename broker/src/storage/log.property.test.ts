import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import type { Log } from './log.js';
import { expectedByTimestamp, expectedMaxTimestamp, expectedRead, type ModelBatch } from './log-model.js';
import { openLog } from './open-log.js';
import { makeBatch, splitBatches } from './test-batches.js';
import type { LogConfig } from './types.js';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'strand-logprop-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let runs = 0;
const freshDir = (): string => path.join(tmpRoot, `t-${runs++}`);

const configArb = fc.record({
  segmentBytes: fc.integer({ min: 100, max: 3000 }),
  segmentMs: fc.constant(1e12),
  retentionMs: fc.constant(-1),
  retentionBytes: fc.constant(-1),
  indexIntervalBytes: fc.integer({ min: 0, max: 600 }),
  segmentIndexBytes: fc.integer({ min: 8, max: 200 }),
});

const batchArb = fc.record({
  records: fc.integer({ min: 1, max: 6 }),
  payloadBytes: fc.integer({ min: 0, max: 400 }),
  maxTimestamp: fc.integer({ min: 0, max: 10_000 }),
  fill: fc.integer({ min: 0, max: 255 }),
});

type BatchSpec = { records: number; payloadBytes: number; maxTimestamp: number; fill: number };
type ReadSpec = { at: number; maxBytes: number; hwBack: number; minOne: boolean };

/** Appends whole buffers (1-3 batches each) to the log and mirrors them in the model. */
function appendAll(log: Log, model: ModelBatch[], groups: BatchSpec[][]): void {
  for (const g of groups) {
    const r = log.append(Buffer.concat(g.map((s) => makeBatch(s))));
    let next = r.firstOffset;
    for (const s of g) {
      model.push({ baseOffset: next, lastOffset: next + s.records - 1, maxTimestamp: s.maxTimestamp, bytes: makeBatch({ ...s, baseOffset: next }) });
      next += s.records;
    }
  }
}

const groupsArb = fc.array(fc.array(batchArb, { minLength: 1, maxLength: 3 }), { minLength: 0, maxLength: 25 });
const readArb = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  maxBytes: fc.integer({ min: 0, max: 3000 }),
  hwBack: fc.integer({ min: 0, max: 10 }),
  minOne: fc.boolean(),
});

function checkReads(log: Log, model: ModelBatch[], reads: ReadSpec[]): void {
  const lso = log.logStartOffset;
  const leo = log.logEndOffset;
  for (const r of reads) {
    const offset = Math.min(leo, lso + Math.floor(r.at * (leo - lso + 1)));
    const hw = Math.max(lso, leo - r.hwBack);
    const got = splitBatches(log.read(offset, r.maxBytes, hw, r.minOne).chunks);
    const want = expectedRead(model, leo, offset, r.maxBytes, hw, r.minOne);
    expect(got.map((b) => b.baseOffset)).toEqual(want.map((b) => b.baseOffset));
    got.forEach((b, i) => expect(b.bytes.equals((want[i] as ModelBatch).bytes)).toBe(true));
    // Sequential continuation (exercises the read-position cache).
    const last = got[got.length - 1];
    if (last !== undefined && last.lastOffset + 1 <= leo) {
      const cont = splitBatches(log.read(last.lastOffset + 1, r.maxBytes, hw, r.minOne).chunks);
      const wantCont = expectedRead(model, leo, last.lastOffset + 1, r.maxBytes, hw, r.minOne);
      expect(cont.map((b) => b.baseOffset)).toEqual(wantCont.map((b) => b.baseOffset));
    }
  }
}

function checkWhole(log: Log, model: ModelBatch[]): void {
  const got = splitBatches(log.read(log.logStartOffset, 1 << 30, Infinity, true).chunks);
  const want = model.filter((b) => b.lastOffset >= log.logStartOffset);
  expect(got.map((b) => b.baseOffset)).toEqual(want.map((b) => b.baseOffset));
  got.forEach((b, i) => expect(b.bytes.equals((want[i] as ModelBatch).bytes)).toBe(true));
  // Dense offsets (invariant 1).
  for (let i = 1; i < got.length; i++) expect(got[i]?.baseOffset).toBe((got[i - 1]?.lastOffset ?? 0) + 1);
  expect(log.logEndOffset).toBe(model.length === 0 ? log.logEndOffset : (model[model.length - 1] as ModelBatch).lastOffset + 1);
}

describe('Log properties', () => {
  it('reads return exactly the batches holding/after the offset, across rolls and reopen', () => {
    fc.assert(
      fc.property(configArb, groupsArb, fc.array(readArb, { maxLength: 8 }), fc.constantFrom('none', 'clean', 'unclean'), groupsArb, (cfg: LogConfig, groups, reads, reopen, more) => {
        const dir = freshDir();
        let log = openLog(dir, cfg, { clean: true });
        const model: ModelBatch[] = [];
        appendAll(log, model, groups);
        checkReads(log, model, reads);
        if (reopen === 'clean') {
          log.close();
          log = openLog(dir, cfg, { clean: true });
        } else if (reopen === 'unclean') {
          // Simulated crash: copy the files as they are (page cache) without closing.
          const crashed = dir + '-crash';
          fs.cpSync(dir, crashed, { recursive: true });
          log.close();
          log = openLog(crashed, cfg, { clean: false });
        }
        checkWhole(log, model);
        checkReads(log, model, reads);
        appendAll(log, model, more);
        checkWhole(log, model);
        checkReads(log, model, reads);
        log.close();
      }),
      { numRuns: 60 },
    );
  });

  it('findBatchByTimestamp / findMaxTimestampBatch match a brute-force scan', () => {
    fc.assert(
      fc.property(configArb, groupsArb, fc.array(fc.integer({ min: -5, max: 10_010 }), { maxLength: 10 }), fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), (cfg, groups, queries, reopen, startFrac) => {
        const dir = freshDir();
        let log = openLog(dir, cfg, { clean: true });
        const model: ModelBatch[] = [];
        appendAll(log, model, groups);
        const leo = log.logEndOffset;
        log.advanceLogStartOffset(Math.floor(startFrac * leo));
        if (reopen) {
          log.close();
          log = openLog(dir, cfg, { clean: true });
        }
        for (const q of queries) {
          const got = log.findBatchByTimestamp(q);
          const want = expectedByTimestamp(model, log.logStartOffset, q);
          expect(got?.baseOffset ?? null).toBe(want?.baseOffset ?? null);
          if (got !== null && want !== null) expect(got.batch.equals(want.bytes)).toBe(true);
        }
        const max = log.findMaxTimestampBatch();
        const wantMax = expectedMaxTimestamp(model, log.logStartOffset);
        expect(max?.baseOffset ?? null).toBe(wantMax?.baseOffset ?? null);
        log.close();
      }),
      { numRuns: 60 },
    );
  });

  it('truncateTo removes everything from the batch holding the offset and appends continue densely', () => {
    fc.assert(
      fc.property(configArb, groupsArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), groupsArb, (cfg, groups, frac, reopen, more) => {
        const dir = freshDir();
        let log = openLog(dir, cfg, { clean: true });
        const model: ModelBatch[] = [];
        appendAll(log, model, groups);
        const target = Math.floor(frac * log.logEndOffset);
        log.truncateTo(target);
        const kept = model.filter((b) => b.lastOffset < target);
        // A batch straddling the target goes entirely.
        expect(log.logEndOffset).toBe(kept.length === 0 ? 0 : (kept[kept.length - 1] as ModelBatch).lastOffset + 1);
        model.length = 0;
        model.push(...kept);
        if (reopen) {
          log.close();
          log = openLog(dir, cfg, { clean: true });
        }
        checkWhole(log, model);
        appendAll(log, model, more);
        checkWhole(log, model);
        log.close();
      }),
      { numRuns: 50 },
    );
  });
});
