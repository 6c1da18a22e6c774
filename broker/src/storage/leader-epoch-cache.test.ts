import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatchSync } from '../protocol/records/record-codec.js';
import { setPartitionLeaderEpoch } from '../protocol/records/batch-header.js';
import { LEADER_EPOCH_FILE, LeaderEpochCache } from './leader-epoch-cache.js';
import { openLog } from './open-log.js';
import type { LogConfig } from './types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strand-epochs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG: LogConfig = { segmentBytes: 1 << 20, segmentMs: 1e12, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 4096, segmentIndexBytes: 1 << 20 };

describe('LeaderEpochCache', () => {
  it('answers OffsetForLeaderEpoch as Kafka does', () => {
    const c = new LeaderEpochCache(null, [
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 5, startOffset: 25 },
    ]);
    expect(c.endOffsetFor(5, 40)).toEqual({ epoch: 5, endOffset: 40 }); // current epoch: LEO
    expect(c.endOffsetFor(3, 40)).toEqual({ epoch: 3, endOffset: 25 });
    expect(c.endOffsetFor(4, 40)).toEqual({ epoch: 3, endOffset: 25 }); // unknown epoch: its floor
    expect(c.endOffsetFor(0, 40)).toEqual({ epoch: 0, endOffset: 0 }); // older than all
    expect(c.endOffsetFor(6, 40)).toEqual({ epoch: -1, endOffset: -1 }); // newer than all
    expect(c.endOffsetFor(-1, 40)).toEqual({ epoch: -1, endOffset: -1 });
  });

  it('assign replaces stale entries; truncation follows the log', () => {
    const c = new LeaderEpochCache(null);
    c.assign(1, 0);
    c.assign(1, 5); // same epoch: no-op
    c.assign(2, 10);
    c.assign(4, 20);
    expect(c.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }, { epoch: 4, startOffset: 20 }]);
    c.assign(3, 15); // a follower copying a leader whose epoch 3 replaced our 4
    expect(c.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }, { epoch: 3, startOffset: 15 }]);
    c.truncateFromEnd(15);
    expect(c.latestEpoch).toBe(2);
    c.truncateFromStart(12);
    expect(c.all).toEqual([{ epoch: 2, startOffset: 12 }]);
    c.clear();
    expect(c.latestEpoch).toBe(-1);
  });

  it('survives a reload; a garbled file reads as empty', () => {
    const c = new LeaderEpochCache(dir);
    c.assign(0, 0);
    c.assign(7, 42);
    expect(readFileSync(join(dir, LEADER_EPOCH_FILE), 'utf8')).toBe('0\n2\n0 0\n7 42\n');
    expect(LeaderEpochCache.load(dir).all).toEqual(c.all);
    writeFileSync(join(dir, LEADER_EPOCH_FILE), '0\n2\n7 42\n0 0\n');
    expect(LeaderEpochCache.load(dir).all).toEqual([]);
  });

  it('property: entries stay strictly increasing; endOffsetFor never exceeds the LEO', () => {
    type Op = { kind: 'assign'; epoch: number; offset: number } | { kind: 'end'; offset: number } | { kind: 'start'; offset: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('assign' as const), epoch: fc.nat(20), offset: fc.nat(200) }),
      fc.record({ kind: fc.constant('end' as const), offset: fc.nat(200) }),
      fc.record({ kind: fc.constant('start' as const), offset: fc.nat(200) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.nat(20), (ops, asked) => {
        const c = new LeaderEpochCache(null);
        for (const o of ops) {
          if (o.kind === 'assign') c.assign(o.epoch, o.offset);
          else if (o.kind === 'end') c.truncateFromEnd(o.offset);
          else c.truncateFromStart(o.offset);
        }
        const all = c.all;
        for (let i = 1; i < all.length; i++) {
          expect(all[i]!.epoch).toBeGreaterThan(all[i - 1]!.epoch);
          expect(all[i]!.startOffset).toBeGreaterThanOrEqual(all[i - 1]!.startOffset);
        }
        const leo = Math.max(200, ...all.map((e) => e.startOffset));
        const r = c.endOffsetFor(asked, leo);
        expect(r.endOffset).toBeLessThanOrEqual(leo);
        if (r.epoch >= 0) expect(r.epoch).toBeLessThanOrEqual(asked);
      }),
    );
  });
});

describe('Log keeps its leader-epoch checkpoint in step', () => {
  const batch = (n: number, epoch: number): Buffer => {
    const b = buildBatchSync({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1 })) });
    setPartitionLeaderEpoch(b, 0, epoch);
    return b;
  };

  it('records epoch starts on append, cuts them on truncation and reloads them', () => {
    const log = openLog(join(dir, 't-0'), CONFIG, { clean: true });
    log.append(batch(3, 0));
    log.append(batch(2, 2));
    log.append(batch(2, 2));
    log.append(batch(1, 5));
    expect(log.epochs.all).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 3 }, { epoch: 5, startOffset: 7 }]);
    log.truncateTo(5);
    expect(log.epochs.all).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 3 }]);
    log.checkpointHighWatermark(4, true);
    log.close();
    const again = openLog(join(dir, 't-0'), CONFIG, { clean: true });
    expect(again.epochs.all).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 3 }]);
    expect(again.checkpointedHighWatermark).toBe(4);
    again.truncateFullyAndStartAt(9);
    expect(again.epochs.all).toEqual([]);
    again.close();
  });
});
