import { ErrorCode } from '../protocol/errors.js';
import { decodeConsumerOffsetsKey } from '../protocol/messages/consumer-offsets-records.js';
import { buildBatch, decodeBatches } from '../protocol/records/record-codec.js';
import { consumerProtocols, formGroup, isParked, joinParams, makeKit, reloadKit, startJoin, type Kit } from './coordinator-test-kit.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { CommitOffsetsParams } from './types.js';

const G = 'group-persist';
const DAY = 24 * 60 * 60 * 1000;

function commit(groupId: string, topic: string, partition: number, offset: number, over: Partial<CommitOffsetsParams> = {}): CommitOffsetsParams {
  return {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: 4, committedMetadata: `m${offset}` }] }],
    ...over,
  };
}

async function offsetOf(k: Kit, groupId: string, topic: string, partition: number): Promise<number | undefined> {
  const f = await k.coord.fetchOffsets({ groupId, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable: false });
  return f.topics[0]?.partitions[0]?.committedOffset;
}

/** Every record key/value-null pair written to the group's partition, decoded. */
async function records(k: Kit, groupId: string) {
  const out: { key: ReturnType<typeof decodeConsumerOffsetsKey>; tombstone: boolean }[] = [];
  for (const b of k.topic.log(k.coord.partitionFor(groupId)).batches) {
    for (const batch of await decodeBatches(b)) {
      for (const r of batch.records) out.push({ key: decodeConsumerOffsetsKey(r.key ?? Buffer.alloc(0)), tombstone: r.value === null });
    }
  }
  return out;
}

describe('persistence in __consumer_offsets', () => {
  it('a Stable group and its offsets survive a reload from the real encoded records', async () => {
    const k = await makeKit();
    const { members, leader } = await formGroup(k, G, 2);
    const m1 = members[1] ?? '';
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 42), generationId: 1, memberId: m1 });
    const k2 = await reloadKit(k);
    const [d] = await k2.coord.describeGroups([G]);
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d?.members.map((m) => [m.memberId, m.assignment.toString(), m.clientId]).sort()).toEqual(
      members.map((id, i) => [id, `a:${id}`, `c${i}`]).sort(),
    );
    expect(await k2.coord.fetchOffsets({ groupId: G, topics: [{ name: 't', partitionIndexes: [0] }], requireStable: true })).toEqual({
      errorCode: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: 4, metadata: 'm42', errorCode: 0 }] }],
    });
    // Members carry on with their generation, and the leader is still the leader.
    expect(await k2.coord.heartbeat({ groupId: G, generationId: 1, memberId: m1, groupInstanceId: null })).toBe(0);
    const r = await k2.coord.joinGroup(joinParams(G, { memberId: m1 }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader });
    // ...and loaded members still expire if they stay silent.
    await k2.sched.advance(10_000);
    expect((await k2.coord.describeGroups([G]))[0]?.state).toBe('Empty');
  });

  it('loading skips records it does not own (KIP-848 key types, keyless, undecodable) and keeps the rest', async () => {
    const k = await makeKit();
    await k.coord.commitOffsets(commit(G, 't', 0, 8));
    const log = k.topic.log(k.coord.partitionFor(G));
    const kip848Key = Buffer.from([0, 3, 0, 1, 0x41]);
    const badValueKey = Buffer.from([0, 2, 0, 1, 0x42]);
    await log.append(await buildBatch({ records: [{ key: kip848Key, value: Buffer.from([0, 0]) }, { key: null, value: Buffer.from('x') }, { key: badValueKey, value: Buffer.from([0, 3, 1]) }] }));
    const k2 = await reloadKit(k);
    expect(await offsetOf(k2, G, 't', 0)).toBe(8);
    expect((await k2.coord.describeGroups(['B']))[0]?.state).toBe('Dead');
  });

  it('a new generation after reload continues from the stored one', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1);
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: members[0] ?? '', groupInstanceId: null }] });
    await k.sched.advance(0); // generation 2 (Empty) is written
    const k2 = await reloadKit(k);
    expect((await k2.coord.describeGroups([G]))[0]?.state).toBe('Empty');
    const again = await formGroup(k2, G, 1);
    expect(again.generation).toBe(3);
  });

  it('answers COORDINATOR_LOAD_IN_PROGRESS while a partition loads (heartbeat blindly OK, sync REBALANCE_IN_PROGRESS)', async () => {
    const k = await makeKit();
    await formGroup(k, G, 1);
    await k.coord.shutdown();
    const p = k.coord.partitionFor(G);
    let release: () => void = () => {};
    k.topic.log(p).readGate = new Promise((r) => (release = r));
    const coord = new GroupCoordinator({ port: k.topic, scheduler: k.sched, config: { groupInitialRebalanceDelayMs: 0 } });
    const started = coord.start();
    await new Promise((r) => setImmediate(r));
    expect(coord.isLoading(p)).toBe(true);
    expect((await coord.joinGroup(joinParams(G))).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.fetchOffsets({ groupId: G, topics: null, requireStable: false })).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(await coord.heartbeat({ groupId: G, generationId: 1, memberId: 'x', groupInstanceId: null })).toBe(0);
    const s = await coord.syncGroup({ groupId: G, generationId: 1, memberId: 'x', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(s.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect((await coord.listGroups()).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.describeGroups([G]))[0]?.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await started;
    expect((await coord.describeGroups([G]))[0]?.state).toBe('Stable');
    await coord.shutdown();
  });

  it('unloading a partition answers parked requests NOT_COORDINATOR; a load racing an unload is discarded', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2);
    const parked = k.coord.joinGroup(joinParams(G, { memberId: members[0] }));
    expect(await isParked(parked)).toBe(true);
    const p = k.coord.partitionFor(G);
    k.coord.unloadPartition(p);
    expect((await parked).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: members[1] ?? '', groupInstanceId: null })).toBe(ErrorCode.NOT_COORDINATOR);
    let release: () => void = () => {};
    k.topic.log(p).readGate = new Promise((r) => (release = r));
    const loading = k.coord.loadPartition(p);
    k.coord.unloadPartition(p);
    release();
    await loading;
    expect(k.coord.isOwned(p)).toBe(false);
    await k.coord.loadPartition(p);
    expect(k.coord.isOwned(p)).toBe(true);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Stable');
  });
});

describe('DeleteGroups / OffsetDelete / ListGroups / expiry', () => {
  it('DeleteGroups: NON_EMPTY_GROUP with members, GROUP_ID_NOT_FOUND when unknown, tombstones otherwise (also after reload)', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1);
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 5), generationId: 1, memberId: members[0] ?? '' });
    expect(await k.coord.deleteGroups([G, 'nobody'])).toEqual([
      { groupId: G, errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'nobody', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: members[0] ?? '', groupInstanceId: null }] });
    await k.sched.advance(0);
    expect(await k.coord.deleteGroups([G])).toEqual([{ groupId: G, errorCode: 0 }]);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Dead');
    expect(await offsetOf(k, G, 't', 0)).toBe(-1);
    const tail = (await records(k, G)).slice(-2);
    expect(tail).toEqual([
      { key: { type: 'offset', group: G, topic: 't', partition: 0 }, tombstone: true },
      { key: { type: 'group', group: G }, tombstone: true },
    ]);
    const k2 = await reloadKit(k);
    expect((await k2.coord.describeGroups([G]))[0]?.state).toBe('Dead');
    expect((await k2.coord.listGroups()).groups).toEqual([]);
    expect(await k2.coord.deleteGroups([G])).toEqual([{ groupId: G, errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
  });

  it('OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC for subscribed topics of a live consumer group', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1, { protocols: consumerProtocols(['t']) });
    const m = members[0] ?? '';
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 5), generationId: 1, memberId: m });
    await k.coord.commitOffsets({ ...commit(G, 'old', 0, 7), generationId: 1, memberId: m });
    const r = await k.coord.deleteOffsets({ groupId: G, topics: [{ name: 't', partitions: [0] }, { name: 'old', partitions: [0] }] });
    expect(r).toEqual({
      errorCode: 0,
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: 'old', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
      ],
    });
    expect(await offsetOf(k, G, 'old', 0)).toBe(-1);
    expect(await offsetOf(k, G, 't', 0)).toBe(5);
    expect((await k.coord.deleteOffsets({ groupId: 'nobody', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await k.coord.deleteOffsets({ groupId: '', topics: [] })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    // After reload the tombstone keeps 'old' deleted.
    const k2 = await reloadKit(k);
    expect(await offsetOf(k2, G, 'old', 0)).toBe(-1);
    expect(await offsetOf(k2, G, 't', 0)).toBe(5);
  });

  it('OffsetDelete on a live group of a non-consumer protocol is NON_EMPTY_GROUP; on an Empty group it deletes', async () => {
    const k = await makeKit();
    await formGroup(k, G, 1, { protocolType: 'connect' });
    expect((await k.coord.deleteOffsets({ groupId: G, topics: [{ name: 't', partitions: [0] }] })).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    await k.coord.commitOffsets(commit('simple', 't', 0, 1));
    const r = await k.coord.deleteOffsets({ groupId: 'simple', topics: [{ name: 't', partitions: [0] }] });
    expect(r.topics[0]?.partitions[0]?.errorCode).toBe(0);
    // Empty without offsets and never a generation: the group is gone.
    expect((await k.coord.describeGroups(['simple']))[0]?.state).toBe('Dead');
  });

  it('ListGroups filters by state, case-insensitively', async () => {
    const k = await makeKit();
    await formGroup(k, 'stable-1', 1);
    await k.coord.commitOffsets(commit('empty-1', 't', 0, 1));
    await startJoin(k, 'preparing-1', { rebalanceTimeoutMs: 60_000 });
    await k.coord.joinGroup(joinParams('preparing-1')); // MEMBER_ID_REQUIRED only; not yet a member
    const all = await k.coord.listGroups();
    expect(all.errorCode).toBe(0);
    expect(all.groups.map((g) => [g.groupId, g.state, g.protocolType]).sort()).toEqual([
      ['empty-1', 'Empty', ''],
      ['preparing-1', 'PreparingRebalance', 'consumer'],
      ['stable-1', 'Stable', 'consumer'],
    ]);
    expect((await k.coord.listGroups(['stable', 'EMPTY'])).groups.map((g) => g.groupId).sort()).toEqual(['empty-1', 'stable-1']);
    expect((await k.coord.listGroups(['Dead'])).groups).toEqual([]);
  });

  it('offsets of an Empty group expire after offsets.retention; tombstones are written and the group retires', async () => {
    const k = await makeKit({ offsetsRetentionMs: 7 * DAY, offsetsRetentionCheckIntervalMs: 600_000 });
    const { members } = await formGroup(k, G, 1);
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 9), generationId: 1, memberId: members[0] ?? '' });
    await k.coord.commitOffsets(commit('simple', 't', 0, 3));
    // No explicit expireOffsets(): the periodic offsets.retention.check.interval.ms pass does it.
    await k.sched.advance(8 * DAY);
    expect(await offsetOf(k, 'simple', 't', 0)).toBe(-1); // offsets-only group: by commit time
    // The member's session ended 10 s in: Empty since then, so past the retention everything expired.
    expect(await offsetOf(k, G, 't', 0)).toBe(-1);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Dead');
    const recs = await records(k, G);
    expect(recs.filter((r) => r.tombstone).map((r) => r.key.type).sort()).toEqual(['group', 'offset']);
  });

  it('retention counts from when the group became Empty, not from the commit', async () => {
    const k = await makeKit({ offsetsRetentionMs: 7 * DAY });
    const { members } = await formGroup(k, G, 1, { sessionTimeoutMs: 60_000 });
    const m = members[0] ?? '';
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 9), generationId: 1, memberId: m });
    // Stay in the group 6 days (heartbeating), then leave.
    for (let d = 0; d < 6 * 24 * 60; d++) {
      await k.sched.advance(60_000 - 1);
      if (d % 100 === 0) await k.coord.expireOffsets();
      await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m, groupInstanceId: null });
    }
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: m, groupInstanceId: null }] });
    await k.sched.advance(0);
    await k.sched.advance(6 * DAY);
    await k.coord.expireOffsets();
    expect(await offsetOf(k, G, 't', 0)).toBe(9);
    await k.sched.advance(DAY);
    await k.coord.expireOffsets();
    expect(await offsetOf(k, G, 't', 0)).toBe(-1);
  });

  it('an explicit retention time (OffsetCommit v2-4) expires that offset on its own schedule', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1, { sessionTimeoutMs: 600_000 });
    const m = members[0] ?? '';
    await k.coord.commitOffsets({ ...commit(G, 't', 0, 1), generationId: 1, memberId: m, retentionTimeMs: 1000 });
    await k.coord.commitOffsets({ ...commit(G, 'u', 0, 2), generationId: 1, memberId: m });
    await k.sched.advance(1000);
    await k.coord.expireOffsets();
    // While Stable, Kafka never expires a subscribed topic's offsets, explicit expiry or not.
    expect(await offsetOf(k, G, 't', 0)).toBe(1);
    // 'u' is not subscribed: it expires by commit time only after the full retention.
    expect(await offsetOf(k, G, 'u', 0)).toBe(2);
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: m, groupInstanceId: null }] });
    await k.sched.advance(0);
    await k.coord.expireOffsets();
    expect(await offsetOf(k, G, 't', 0)).toBe(-1);
    expect(await offsetOf(k, G, 'u', 0)).toBe(2);
  });
});
