/**
 * Leader and follower Partitions over real logs, replicating in-process: the follower reads
 * with readForFollower and appends with appendAsFollower; the leader learns follower LEOs
 * from fetch offsets. Covers HW = min ISR LEO (never down), acks=all outcomes, ISR proposals,
 * divergence truncation after a leader change, and producer state on the follower.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartitionState } from '../cluster/types.js';
import { buildBatchSync } from '../protocol/records/record-codec.js';
import { openLog } from '../storage/open-log.js';
import type { LogConfig, PartitionLog } from '../storage/types.js';
import { truncationOffset } from './follower-state.js';
import { Partition, type AppendConfig } from './partition.js';

const LOG_CONFIG: LogConfig = { segmentBytes: 1 << 20, segmentMs: 1e12, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 4096, segmentIndexBytes: 1 << 20 };
const APPEND: AppendConfig = { maxMessageBytes: 1048588, timestampType: 'CreateTime', minInsyncReplicas: 2, segmentBytes: 1 << 20 };

let dir: string;
let logs: PartitionLog[] = [];
let now = 1_000_000;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strand-repl-'));
  now = 1_000_000;
});
afterEach(() => {
  for (const l of logs) l.close();
  logs = [];
  rmSync(dir, { recursive: true, force: true });
});

const state = (leader: number, leaderEpoch: number, isr: number[], partitionEpoch = leaderEpoch): PartitionState => ({
  topic: 't',
  partition: 0,
  replicas: [0, 1, 2],
  leader,
  leaderEpoch,
  isr,
  partitionEpoch,
  addingReplicas: [],
  removingReplicas: [],
});

function replica(id: number, s: PartitionState): Partition {
  const log = openLog(join(dir, `b${id}`, 't-0'), LOG_CONFIG, { clean: true });
  logs.push(log);
  const p = new Partition({ topic: 't', partition: 0, log, localBrokerId: id, leaderId: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, replicas: s.replicas, config: APPEND, now: () => now });
  p.applyState(s);
  return p;
}

const batch = (n: number, producerId = -1, seq = -1): Buffer =>
  buildBatchSync({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 1 })), producerId, producerEpoch: producerId >= 0 ? 0 : -1, baseSequence: seq });

/** One follower fetch round trip: the leader records the fetch offset, the follower appends what it gets. */
function replicate(leader: Partition, follower: Partition, id: number): void {
  leader.recordFollowerFetch(id, follower.logEndOffset);
  const data = leader.readForFollower(follower.logEndOffset, 1 << 20, true);
  follower.appendAsFollower(Buffer.concat(data.chunks), data.highWatermark, data.logStartOffset);
}

describe('leader and followers', () => {
  it('HW is the smallest ISR LEO and never decreases; acks=all completes once every ISR member has the batch', () => {
    const s = state(0, 1, [0, 1, 2]);
    const [l, f1, f2] = [replica(0, s), replica(1, s), replica(2, s)];
    const out = l.appendAsLeader(batch(3), -1);
    expect(l.highWatermark).toBe(0);
    expect(l.ackState(out.lastOffset)).toBe('pending');
    replicate(l, f1, 1);
    replicate(l, f2, 2);
    expect(l.highWatermark).toBe(0); // LEOs are learned from the *next* fetch
    l.recordFollowerFetch(1, f1.logEndOffset);
    expect(l.highWatermark).toBe(0);
    l.recordFollowerFetch(2, f2.logEndOffset);
    expect(l.highWatermark).toBe(3);
    expect(l.ackState(out.lastOffset)).toBe('completed');
    // A follower re-fetching an older offset cannot pull the HW back (invariant 2).
    l.recordFollowerFetch(1, 1);
    expect(l.highWatermark).toBe(3);
    replicate(l, f1, 1);
    expect(f1.highWatermark).toBe(3);
    expect(Buffer.concat(f1.read(0, 1 << 20, true).chunks)).toEqual(Buffer.concat(l.read(0, 1 << 20, true).chunks));
  });

  it('NOT_ENOUGH_REPLICAS before the append; NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank while waiting', () => {
    const l = replica(0, state(0, 1, [0]));
    expect(() => l.appendAsLeader(batch(1), -1)).toThrow(/min.insync.replicas/);
    l.applyState(state(0, 1, [0, 1], 2));
    const out = l.appendAsLeader(batch(1), -1);
    expect(l.ackState(out.lastOffset)).toBe('pending');
    l.applyState(state(0, 1, [0], 3)); // shrink written by the leader
    expect(l.ackState(out.lastOffset)).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND');
    l.applyState(state(1, 2, [1], 4)); // leadership moved
    expect(l.ackState(out.lastOffset)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(() => l.appendAsLeader(batch(1), 1)).toThrow(/does not lead/);
  });

  it('proposes a shrink after replica.lag.time.max.ms and an expand once caught up', () => {
    const s = state(0, 1, [0, 1, 2]);
    const [l, f1] = [replica(0, s), replica(1, s)];
    l.appendAsLeader(batch(2), 1);
    replicate(l, f1, 1);
    l.recordFollowerFetch(1, f1.logEndOffset);
    now += 1500;
    l.recordFollowerFetch(1, f1.logEndOffset);
    expect(l.leading?.propose(l.highWatermark, now, 1000)).toEqual([0, 1]); // 2 never fetched
    l.applyState(state(0, 1, [0, 1], 2));
    expect(l.highWatermark).toBe(2);
    const f2 = replica(2, s);
    replicate(l, f2, 2);
    l.recordFollowerFetch(2, f2.logEndOffset);
    expect(l.leading?.propose(l.highWatermark, now, 1000, 2)).toEqual([0, 1, 2]);
  });

  it('a deposed leader truncates its divergent tail to the new leader epoch start and catches up', () => {
    const s1 = state(0, 1, [0, 1]);
    const [a, b] = [replica(0, s1), replica(1, s1)];
    a.appendAsLeader(batch(2), 1);
    replicate(a, b, 1);
    a.appendAsLeader(batch(3), 1); // never replicated: offsets 2-4 diverge
    // b becomes leader at epoch 2 and writes its own offsets 2-3.
    const s2 = state(1, 2, [1], 2);
    b.applyState(s2);
    a.applyState(s2);
    b.appendAsLeader(batch(2), 1);
    expect(b.log.epochs.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 2 }]);
    // a asks b for the end of its latest epoch (1): 2. It truncates there (KIP-101).
    const answer = b.log.epochs.endOffsetFor(a.log.epochs.latestEpoch, b.logEndOffset);
    const d = truncationOffset(answer, (e) => a.log.epochs.endOffsetFor(e, a.logEndOffset), a.logEndOffset, a.highWatermark);
    expect(d).toEqual({ offset: 2, done: true });
    a.truncateTo(d.offset);
    replicate(b, a, 0);
    expect(a.logEndOffset).toBe(4);
    expect(Buffer.concat(a.readForFollower(0, 1 << 20, true).chunks)).toEqual(Buffer.concat(b.readForFollower(0, 1 << 20, true).chunks));
  });

  it('a follower never appends a gap or a bad CRC, and keeps producer state for a later leadership', () => {
    const s = state(0, 1, [0, 1]);
    const [l, f] = [replica(0, s), replica(1, s)];
    l.appendAsLeader(batch(2, 42, 0), 1);
    const first = Buffer.concat(l.readForFollower(0, 1 << 20, true).chunks);
    l.appendAsLeader(batch(1, 42, 2), 1);
    const second = Buffer.concat(l.readForFollower(2, 1 << 20, true).chunks);
    expect(() => f.appendAsFollower(second, 0, 0)).toThrow(/expected offset 0/);
    const bad = Buffer.from(first);
    bad.writeUInt8((bad.readUInt8(bad.length - 1) ^ 0xff) & 0xff, bad.length - 1);
    expect(() => f.appendAsFollower(bad, 0, 0)).toThrow(/CRC/);
    expect(f.logEndOffset).toBe(0);
    f.appendAsFollower(first, 0, 0);
    f.appendAsFollower(second, 0, 0);
    // Promoted: a retry of the last batch is recognised as a duplicate.
    f.applyState(state(1, 2, [1], 2));
    const dup = f.appendAsLeader(batch(1, 42, 2), 1);
    expect(dup).toMatchObject({ duplicate: true, firstOffset: 2 });
  });
});
