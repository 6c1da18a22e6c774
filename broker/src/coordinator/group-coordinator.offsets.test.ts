import { ErrorCode } from '../protocol/errors.js';
import { decodeConsumerOffsetsKey, decodeOffsetCommitValue } from '../protocol/messages/consumer-offsets-records.js';
import { decodeBatches } from '../protocol/records/record-codec.js';
import { formGroup, joinParams, makeKit, type Kit } from './coordinator-test-kit.js';
import type { CommitOffsetsParams } from './types.js';

const G = 'group-offsets';

function commit(groupId: string, over: Partial<CommitOffsetsParams> = {}, parts: [string, number, number, string | null, number?][] = [['t', 0, 10, 'meta', 3]]): CommitOffsetsParams {
  const topics = new Map<string, CommitOffsetsParams['topics'][number]['partitions'][number][]>();
  for (const [name, partitionIndex, committedOffset, committedMetadata, committedLeaderEpoch] of parts) {
    const list = topics.get(name) ?? [];
    list.push({ partitionIndex, committedOffset, committedMetadata, committedLeaderEpoch: committedLeaderEpoch ?? -1 });
    topics.set(name, list);
  }
  return { groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics: [...topics].map(([name, partitions]) => ({ name, partitions })), ...over };
}

function codes(r: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

async function fetchAll(k: Kit, groupId = G) {
  return k.coord.fetchOffsets({ groupId, topics: null, requireStable: true });
}

describe('offset commit / fetch', () => {
  it('simple (generation -1) commits create an Empty group; metadata and leader epoch come back', async () => {
    const k = await makeKit();
    const r = await k.coord.commitOffsets(commit(G, {}, [['t', 0, 10, 'meta-0', 3], ['t', 1, 20, null], ['u', 0, 5, '']]));
    expect(codes(r)).toEqual([0, 0, 0]);
    const f = await k.coord.fetchOffsets({ groupId: G, topics: [{ name: 't', partitionIndexes: [0, 1, 2] }], requireStable: false });
    expect(f).toEqual({
      errorCode: 0,
      topics: [{ name: 't', partitions: [
        { partitionIndex: 0, committedOffset: 10, committedLeaderEpoch: 3, metadata: 'meta-0', errorCode: 0 },
        { partitionIndex: 1, committedOffset: 20, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        { partitionIndex: 2, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ] }],
    });
    expect((await fetchAll(k)).topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['t', [10, 20]], ['u', [5]]]);
    expect((await k.coord.describeGroups([G]))[0]).toMatchObject({ state: 'Empty', protocolType: '' });
    // Unknown group: every requested partition is -1, no error.
    const none = await k.coord.fetchOffsets({ groupId: 'nobody', topics: [{ name: 't', partitionIndexes: [0] }], requireStable: false });
    expect(none.topics[0]?.partitions[0]?.committedOffset).toBe(-1);
    expect((await fetchAll(k, 'nobody')).topics).toEqual([]);
  });

  it('a commit of N partitions is one batch in Kafka’s record format', async () => {
    const k = await makeKit();
    await k.coord.commitOffsets(commit(G, {}, [['t', 0, 1, 'a'], ['t', 1, 2, 'b'], ['u', 7, 3, 'c', 9]]));
    const log = k.topic.log(k.coord.partitionFor(G));
    expect(log.batches).toHaveLength(1);
    const [batch] = await decodeBatches(log.batches[0] ?? Buffer.alloc(0));
    expect(batch?.compression).toBe(0);
    const recs = batch?.records.map((r) => ({ key: decodeConsumerOffsetsKey(r.key ?? Buffer.alloc(0)), value: decodeOffsetCommitValue(r.value ?? Buffer.alloc(0)) }));
    expect(recs?.map((r) => r.key)).toEqual([
      { type: 'offset', group: G, topic: 't', partition: 0 },
      { type: 'offset', group: G, topic: 't', partition: 1 },
      { type: 'offset', group: G, topic: 'u', partition: 7 },
    ]);
    expect(recs?.[2]?.value).toMatchObject({ offset: 3, leaderEpoch: 9, metadata: 'c', commitTimestamp: k.sched.now() });
  });

  it('rejects commits as Kafka does: unknown generation, unknown member, non-member into a live group, too much metadata', async () => {
    const k = await makeKit({ offsetMetadataMaxBytes: 8 });
    expect(codes(await k.coord.commitOffsets(commit('nogroup', { generationId: 3, memberId: 'm' })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    const { members } = await formGroup(k, G, 2);
    const m1 = members[1] ?? '';
    expect(codes(await k.coord.commitOffsets(commit(G, { generationId: 0, memberId: m1 })))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(codes(await k.coord.commitOffsets(commit(G, { generationId: 1, memberId: 'ghost' })))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(codes(await k.coord.commitOffsets(commit(G)))).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    const mixed = await k.coord.commitOffsets(commit(G, { generationId: 1, memberId: m1 }, [['t', 0, 1, '123456789'], ['t', 1, 2, '12345678']]));
    expect(codes(mixed)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    expect(codes(await k.coord.commitOffsets(commit('', {})))).toEqual([0]); // "" is a valid group id for commits
  });

  it('members commit in Stable and PreparingRebalance; a commit counts as a heartbeat', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2, { sessionTimeoutMs: 10_000 });
    const [m0, m1] = members as [string, string];
    await k.sched.advance(8000);
    expect(codes(await k.coord.commitOffsets(commit(G, { generationId: 1, memberId: m1 })))).toEqual([0]);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m0, groupInstanceId: null })).toBe(0);
    await k.sched.advance(8000); // m1's commit at 8 s kept it alive until 18 s
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m1, groupInstanceId: null })).toBe(0);
    void k.coord.joinGroup(joinParams(G, { memberId: m0 })); // leader rejoin: PreparingRebalance
    expect(codes(await k.coord.commitOffsets(commit(G, { generationId: 1, memberId: m1 }, [['t', 0, 11, null]])))).toEqual([0]);
  });

  it('maps log append failures to coordinator errors and leaves memory unchanged', async () => {
    const k = await makeKit();
    await k.coord.commitOffsets(commit(G, {}, [['t', 0, 1, null]]));
    const log = k.topic.log(k.coord.partitionFor(G));
    log.failures.push(ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.MESSAGE_TOO_LARGE);
    expect(codes(await k.coord.commitOffsets(commit(G, {}, [['t', 0, 2, null]])))).toEqual([ErrorCode.NOT_COORDINATOR]);
    expect(codes(await k.coord.commitOffsets(commit(G, {}, [['t', 0, 3, null]])))).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    expect(codes(await k.coord.commitOffsets(commit(G, {}, [['t', 0, 4, null]])))).toEqual([ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
    expect((await fetchAll(k)).topics[0]?.partitions[0]?.committedOffset).toBe(1);
  });

  it('concurrent commits: the later record wins even if its append completes first', async () => {
    const k = await makeKit();
    const log = k.topic.log(k.coord.partitionFor(G));
    let release1: () => void = () => {};
    log.ackDelays.push(new Promise((r) => (release1 = r)), Promise.resolve());
    const c1 = k.coord.commitOffsets(commit(G, {}, [['t', 0, 100, null]]));
    const c2 = k.coord.commitOffsets(commit(G, {}, [['t', 0, 200, null]]));
    await c2;
    expect((await fetchAll(k)).topics[0]?.partitions[0]?.committedOffset).toBe(200);
    release1();
    await c1;
    expect((await fetchAll(k)).topics[0]?.partitions[0]?.committedOffset).toBe(200);
  });

  it('groupLag and committedOffsets compare commits with log end offsets', async () => {
    const k = await makeKit();
    await k.coord.commitOffsets(commit(G, {}, [['t', 0, 10, null], ['t', 1, 50, null], ['u', 0, 0, null]]));
    k.ends.set('t-0', 25);
    k.ends.set('t-1', 40); // behind the commit (e.g. truncated): lag is never negative
    expect(k.coord.groupLag(G)).toEqual({
      groupId: G,
      state: 'Empty',
      totalLag: 15,
      partitions: [
        { topic: 't', partition: 0, committedOffset: 10, endOffset: 25, lag: 15 },
        { topic: 't', partition: 1, committedOffset: 50, endOffset: 40, lag: 0 },
        { topic: 'u', partition: 0, committedOffset: 0, endOffset: undefined, lag: undefined },
      ],
    });
    expect(k.coord.committedOffsets(G)?.get('t')?.get(0)?.offset).toBe(10);
    expect(k.coord.groupLag('nobody')).toBeUndefined();
  });
});
