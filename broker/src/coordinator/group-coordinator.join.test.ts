import { ErrorCode } from '../protocol/errors.js';
import { advanceAnd, consumerProtocols, formGroup, isParked, joinParams, makeKit, startJoin, type Kit } from './coordinator-test-kit.js';

const G = 'group-join';

async function sync(k: Kit, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []) {
  return k.coord.syncGroup({ groupId: G, generationId, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments });
}

describe('JoinGroup / SyncGroup', () => {
  it('requires a member id first (v4+), then forms a one-member group', async () => {
    const k = await makeKit();
    const first = await k.coord.joinGroup(joinParams(G, { clientId: 'kafkajs' }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^kafkajs-[0-9a-f-]{36}$/);
    const join = k.coord.joinGroup(joinParams(G, { memberId: first.memberId }));
    const r = await advanceAnd(k, join);
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range', protocolType: 'consumer' });
    expect(r.members.map((m) => m.memberId)).toEqual([first.memberId]);
    const s = await sync(k, first.memberId, 1, [{ memberId: first.memberId, assignment: Buffer.from('mine') }]);
    expect(s).toMatchObject({ errorCode: 0, protocolName: 'range', protocolType: 'consumer' });
    expect(s.assignment.toString()).toBe('mine');
    const [d] = await k.coord.describeGroups([G]);
    expect(d).toMatchObject({ state: 'Stable', protocolData: 'range', protocolType: 'consumer' });
    expect(d?.members[0]?.assignment.toString()).toBe('mine');
  });

  it('lets pre-v4 clients join without the member-id round trip', async () => {
    const k = await makeKit();
    const r = await advanceAnd(k, k.coord.joinGroup(joinParams(G, { requireKnownMemberId: false, clientId: 'old' })));
    expect(r.errorCode).toBe(0);
    expect(r.memberId).toMatch(/^old-/);
  });

  it.each([1, 2, 5])('forms a group of %i members: one leader gets everyone, followers get nothing, all get their share', async (n) => {
    const k = await makeKit();
    const { members, leader, joins, syncs } = await formGroup(k, G, n);
    expect(new Set(joins.map((j) => j.generationId))).toEqual(new Set([1]));
    expect(new Set(joins.map((j) => j.leader))).toEqual(new Set([leader]));
    for (const j of joins) expect(j.members.length).toBe(j.memberId === leader ? n : 0);
    joins.forEach((j, i) => {
      expect(syncs[i]?.errorCode).toBe(0);
      expect(syncs[i]?.assignment.toString()).toBe(`a:${j.memberId}`);
    });
    expect(members).toHaveLength(n);
  });

  it('parks JoinGroup until every known member rejoins (rebalance on join)', async () => {
    const k = await makeKit();
    const g1 = await formGroup(k, G, 2);
    // A third member arrives: the group goes to PreparingRebalance and waits for the other two.
    const third = await startJoin(k, G, { clientId: 'c3' });
    expect(await isParked(third.join)).toBe(true);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('PreparingRebalance');
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: g1.members[1] ?? '', groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoins = g1.members.map((m) => k.coord.joinGroup(joinParams(G, { memberId: m })));
    const all = await Promise.all([third.join, ...rejoins]);
    expect(all.map((r) => r.generationId)).toEqual([2, 2, 2]);
    // The old leader keeps leadership since it rejoined.
    expect(all[0]?.leader).toBe(g1.leader);
  });

  it('picks a protocol every member supports, by vote', async () => {
    const k = await makeKit();
    const a = await startJoin(k, G, { protocols: consumerProtocols(['t'], ['roundrobin', 'range', 'sticky']) });
    const b = await startJoin(k, G, { protocols: consumerProtocols(['t'], ['range', 'sticky']) });
    const c = await startJoin(k, G, { protocols: consumerProtocols(['t'], ['sticky', 'range']) });
    await k.sched.advance(0);
    const rs = await Promise.all([a.join, b.join, c.join]);
    // roundrobin is not supported by all; votes: a->range, b->range, c->sticky.
    expect(rs.map((r) => r.protocolName)).toEqual(['range', 'range', 'range']);
  });

  it('rejects a member with no protocol in common, or another protocol type', async () => {
    const k = await makeKit();
    await formGroup(k, G, 1);
    const r = await k.coord.joinGroup(joinParams(G, { protocols: consumerProtocols(['t'], ['other']) }));
    expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const r2 = await k.coord.joinGroup(joinParams(G, { protocolType: 'connect' }));
    expect(r2.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const r3 = await k.coord.joinGroup(joinParams('fresh', { protocols: [] }));
    expect(r3.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('validates group id and session timeout', async () => {
    const k = await makeKit();
    expect((await k.coord.joinGroup(joinParams(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await k.coord.joinGroup(joinParams(G, { sessionTimeoutMs: 5999 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await k.coord.joinGroup(joinParams(G, { sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await k.coord.joinGroup(joinParams(G, { sessionTimeoutMs: 6000 }))).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('answers UNKNOWN_MEMBER_ID for a made-up member id', async () => {
    const k = await makeKit();
    expect((await k.coord.joinGroup(joinParams('nogroup', { memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await formGroup(k, G, 1);
    expect((await k.coord.joinGroup(joinParams(G, { memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync(k, 'ghost', 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: 'ghost', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('enforces group.max.size', async () => {
    const k = await makeKit({ groupMaxSize: 2 });
    await formGroup(k, G, 2);
    const first = await k.coord.joinGroup(joinParams(G));
    const r = await k.coord.joinGroup(joinParams(G, { memberId: first.memberId }));
    expect(r.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('returns ILLEGAL_GENERATION for a stale generation, REBALANCE_IN_PROGRESS while preparing', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2);
    const follower = members[1] ?? '';
    expect(await k.coord.heartbeat({ groupId: G, generationId: 0, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync(k, follower, 7)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    // Leader rejoin forces a rebalance even with unchanged metadata.
    const leaderRejoin = k.coord.joinGroup(joinParams(G, { memberId: members[0] }));
    expect((await sync(k, follower, 1)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const followerRejoin = k.coord.joinGroup(joinParams(G, { memberId: follower }));
    const [lr, fr] = await Promise.all([leaderRejoin, followerRejoin]);
    expect(lr.generationId).toBe(2);
    expect(fr.generationId).toBe(2);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 2, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.NONE);
  });

  it('a follower rejoining a Stable group with the same metadata gets the current generation without a rebalance', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2);
    const r = await k.coord.joinGroup(joinParams(G, { memberId: members[1] }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, members: [] });
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Stable');
  });

  it('a follower syncing before the leader waits for the leader’s assignment', async () => {
    const k = await makeKit();
    const a = await startJoin(k, G);
    const b = await startJoin(k, G);
    await k.sched.advance(0);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    const leader = ra?.leader === a.memberId ? ra : rb;
    const follower = leader === ra ? rb : ra;
    const fs = sync(k, follower.memberId, 1);
    expect(await isParked(fs)).toBe(true);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: follower.memberId, groupInstanceId: null })).toBe(0);
    // A commit during CompletingRebalance is refused.
    const c = await k.coord.commitOffsets({ groupId: G, generationId: 1, memberId: follower.memberId, groupInstanceId: null, retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(c.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // The leader leaves one member out of its assignment: that member gets an empty one.
    const ls = await sync(k, leader.memberId, 1, [{ memberId: leader.memberId, assignment: Buffer.from('L') }]);
    expect(ls.assignment.toString()).toBe('L');
    expect((await fs).assignment.length).toBe(0);
    expect((await fs).errorCode).toBe(0);
  });

  it('a member leaving triggers a rebalance for the rest; batched leave reports per member', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 3);
    const [m0, m1, m2] = members as [string, string, string];
    const res = await k.coord.leaveGroup({ groupId: G, members: [{ memberId: m2, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] });
    expect(res).toEqual({ errorCode: 0, members: [{ memberId: m2, groupInstanceId: null, errorCode: 0 }, { memberId: 'ghost', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] });
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('PreparingRebalance');
    const rs = await Promise.all([m0, m1].map((m) => k.coord.joinGroup(joinParams(G, { memberId: m }))));
    expect(rs.map((r) => r.generationId)).toEqual([2, 2]);
    // Everyone leaves: the group is Empty and the empty generation is recorded.
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: m0, groupInstanceId: null }, { memberId: m1, groupInstanceId: null }] });
    await k.sched.advance(0);
    const [d] = await k.coord.describeGroups([G]);
    expect(d?.state).toBe('Empty');
    expect(d?.members).toEqual([]);
  });

  it('leader leaving mid-rebalance passes leadership to a member that rejoined', async () => {
    const k = await makeKit();
    const { members, leader } = await formGroup(k, G, 2);
    const follower = members[1] ?? '';
    // Changed subscription: the follower's rejoin starts a rebalance.
    const fj = k.coord.joinGroup(joinParams(G, { memberId: follower, protocols: consumerProtocols(['t', 'u']) }));
    await k.coord.leaveGroup({ groupId: G, members: [{ memberId: leader, groupInstanceId: null }] });
    const r = await fj;
    expect(r).toMatchObject({ errorCode: 0, generationId: 2, leader: follower });
    expect(r.members.map((m) => m.memberId)).toEqual([follower]);
  });

  it('a pending member (MEMBER_ID_REQUIRED) can leave; an unknown pending join is a new member', async () => {
    const k = await makeKit();
    const first = await k.coord.joinGroup(joinParams(G));
    const res = await k.coord.leaveGroup({ groupId: G, members: [{ memberId: first.memberId, groupInstanceId: null }] });
    expect(res.members[0]?.errorCode).toBe(0);
    expect((await k.coord.joinGroup(joinParams(G, { memberId: first.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a duplicate JoinGroup answers the superseded one so the connection never stalls', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2);
    const j1 = k.coord.joinGroup(joinParams(G, { memberId: members[1], protocols: consumerProtocols(['t', 'u']) }));
    const j2 = k.coord.joinGroup(joinParams(G, { memberId: members[1], protocols: consumerProtocols(['t', 'u']) }));
    expect((await j1).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await isParked(j2)).toBe(true);
    const lj = k.coord.joinGroup(joinParams(G, { memberId: members[0] }));
    expect((await j2).generationId).toBe(2);
    expect((await lj).generationId).toBe(2);
  });

  it('answers COORDINATOR_NOT_AVAILABLE before start and NOT_COORDINATOR for groups led elsewhere', async () => {
    const k = await makeKit();
    const p = k.coord.partitionFor(G);
    k.coord.unloadPartition(p);
    expect((await k.coord.joinGroup(joinParams(G))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    await k.coord.shutdown();
    expect((await k.coord.joinGroup(joinParams(G))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await k.coord.listGroups()).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it('SyncGroup with another protocol name or type is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1);
    const m = members[0] ?? '';
    const base = { groupId: G, generationId: 1, memberId: m, groupInstanceId: null, assignments: [] };
    expect((await k.coord.syncGroup({ ...base, protocolType: 'consumer', protocolName: 'sticky' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await k.coord.syncGroup({ ...base, protocolType: 'connect', protocolName: null })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await k.coord.syncGroup({ ...base, protocolType: null, protocolName: null })).errorCode).toBe(0);
  });

  it('a failed write of the assignment fails the parked syncs and starts a new rebalance', async () => {
    const k = await makeKit();
    const a = await startJoin(k, G);
    const b = await startJoin(k, G);
    await k.sched.advance(0);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    const leader = ra.leader === ra.memberId ? ra : rb;
    const follower = leader === ra ? rb : ra;
    const fs = sync(k, follower.memberId, 1);
    k.topic.log(k.coord.partitionFor(G)).failures.push(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const ls = await sync(k, leader.memberId, 1, leader.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('x') })));
    expect(ls.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await fs).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('PreparingRebalance');
  });

  it('a leader that lost its JoinGroup response gets the member list again during CompletingRebalance', async () => {
    const k = await makeKit();
    const a = await startJoin(k, G);
    await k.sched.advance(0);
    const r = await a.join;
    const again = await k.coord.joinGroup(joinParams(G, { memberId: a.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: r.generationId, leader: a.memberId });
    expect(again.members).toHaveLength(1);
  });

  it('JoinGroup v0 (no rebalance timeout) uses the session timeout as the rebalance timeout', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2, { rebalanceTimeoutMs: -1, requireKnownMemberId: true, sessionTimeoutMs: 7000 });
    const j = k.coord.joinGroup(joinParams(G, { memberId: members[0], rebalanceTimeoutMs: -1, sessionTimeoutMs: 7000 }));
    await k.sched.advance(6999);
    expect(await isParked(j)).toBe(true);
    await k.sched.advance(1);
    expect((await j).generationId).toBe(2);
  });
});
