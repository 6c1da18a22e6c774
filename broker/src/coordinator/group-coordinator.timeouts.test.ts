import { ErrorCode } from '../protocol/errors.js';
import { consumerProtocols, formGroup, isParked, joinParams, makeKit, startJoin } from './coordinator-test-kit.js';

const G = 'group-timeouts';

describe('timeouts (driven by the manual clock)', () => {
  it('a member that stops heartbeating is removed after the session timeout and the group rebalances', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2, { sessionTimeoutMs: 10_000 });
    const [m0, m1] = members as [string, string];
    // m0 keeps heartbeating; m1 goes silent.
    for (let t = 0; t < 2; t++) {
      await k.sched.advance(4000);
      expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m0, groupInstanceId: null })).toBe(0);
    }
    await k.sched.advance(4000);
    // 12 s passed: m1 is gone and a rebalance started.
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m1, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m0, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await k.coord.joinGroup(joinParams(G, { memberId: m0 }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 2, leader: m0 });
    expect(r.members.map((m) => m.memberId)).toEqual([m0]);
  });

  it('heartbeats exactly at the deadline are too late; just before are in time', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1, { sessionTimeoutMs: 6000 });
    const m = members[0] ?? '';
    await k.sched.advance(5999);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m, groupInstanceId: null })).toBe(0);
    await k.sched.advance(6000);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    await k.sched.advance(0);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Empty');
  });

  it('rebalance timeout: members that do not rejoin are dropped and the rest move on', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 3, { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 });
    const [m0, m1] = members as [string, string, string];
    const j0 = k.coord.joinGroup(joinParams(G, { memberId: m0, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 }));
    const j1 = k.coord.joinGroup(joinParams(G, { memberId: m1, rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 60_000 }));
    await k.sched.advance(19_999);
    expect(await isParked(j0)).toBe(true);
    await k.sched.advance(1);
    const [r0, r1] = await Promise.all([j0, j1]);
    expect(r0.generationId).toBe(2);
    expect(r1.generationId).toBe(2);
    const leader = r0.members.length > 0 ? r0 : r1;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([m0, m1].sort());
  });

  it('pending SyncGroup: members that never sync within the rebalance timeout are removed', async () => {
    const k = await makeKit();
    const a = await startJoin(k, G, { rebalanceTimeoutMs: 10_000 });
    const b = await startJoin(k, G, { rebalanceTimeoutMs: 10_000 });
    await k.sched.advance(0);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    const follower = ra.leader === ra.memberId ? rb : ra;
    // Only the follower syncs; the leader vanishes. The follower must not wait forever.
    const fs = k.coord.syncGroup({ groupId: G, generationId: 1, memberId: follower.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(await isParked(fs)).toBe(true);
    await k.sched.advance(10_000);
    expect((await fs).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await k.coord.joinGroup(joinParams(G, { memberId: follower.memberId }));
    expect(r).toMatchObject({ errorCode: 0, generationId: 2, leader: follower.memberId });
  });

  it('group.initial.rebalance.delay.ms holds the first rebalance and extends while members arrive', async () => {
    const k = await makeKit({ groupInitialRebalanceDelayMs: 3000 });
    const a = await startJoin(k, G, { rebalanceTimeoutMs: 10_000 });
    await k.sched.advance(2000);
    const b = await startJoin(k, G, { rebalanceTimeoutMs: 10_000 });
    await k.sched.advance(1000); // first delay ends; a member was added, so it extends by 3 s
    expect(await isParked(a.join)).toBe(true);
    await k.sched.advance(2999);
    expect(await isParked(a.join)).toBe(true);
    await k.sched.advance(1);
    const [ra, rb] = await Promise.all([a.join, b.join]);
    expect(ra.generationId).toBe(1);
    expect(rb.generationId).toBe(1);
    expect(ra.members.length + rb.members.length).toBe(2);
  });

  it('the initial delay never exceeds the rebalance timeout', async () => {
    const k = await makeKit({ groupInitialRebalanceDelayMs: 3000 });
    const a = await startJoin(k, G, { rebalanceTimeoutMs: 7000 });
    // A newcomer every 2.5 s keeps extending, but only until 7 s in total.
    const others = [];
    for (let i = 0; i < 4; i++) {
      await k.sched.advance(2500);
      if (await isParked(a.join)) others.push(await startJoin(k, G, { rebalanceTimeoutMs: 7000 }));
    }
    const r = await a.join;
    expect(r.errorCode).toBe(0);
    // Delays: 3 s, extended 3 s (t=6 s), extended by the 1 s left of the 7 s budget: done at 7 s,
    // so the newcomers of t=2.5 s and t=5 s made it and no one after.
    expect(others).toHaveLength(2);
    expect(r.generationId).toBe(1);
  });

  it('a MEMBER_ID_REQUIRED id that is never used expires after the session timeout', async () => {
    const k = await makeKit();
    const first = await k.coord.joinGroup(joinParams(G, { sessionTimeoutMs: 6000 }));
    await k.sched.advance(6000);
    expect((await k.coord.joinGroup(joinParams(G, { memberId: first.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a pending member id blocks completion of a rebalance until it joins or expires', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 1, { sessionTimeoutMs: 6000, rebalanceTimeoutMs: 60_000 });
    const m0 = members[0] ?? '';
    const pending = await k.coord.joinGroup(joinParams(G, { sessionTimeoutMs: 6000 }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    // The leader rejoins (forces a rebalance); the pending id has not joined yet.
    const j0 = k.coord.joinGroup(joinParams(G, { memberId: m0, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 60_000 }));
    expect(await isParked(j0)).toBe(true);
    await k.sched.advance(6000);
    expect((await j0).generationId).toBe(2);
  });

  it('a new member whose join stays parked past the new-member timeout is removed with UNKNOWN_MEMBER_ID', async () => {
    const k = await makeKit({ newMemberJoinTimeoutMs: 5000 });
    const { members } = await formGroup(k, G, 1, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 120_000 });
    const m0 = members[0] ?? '';
    const newcomer = await startJoin(k, G, { sessionTimeoutMs: 60_000, rebalanceTimeoutMs: 120_000 });
    // m0 keeps heartbeating but never rejoins: the rebalance stalls; the newcomer's parked join is bounded.
    await k.sched.advance(4000);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: m0, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await k.sched.advance(1000);
    expect((await newcomer.join).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('leaves no timers behind once a group is deleted', async () => {
    const k = await makeKit();
    const { members } = await formGroup(k, G, 2, { protocols: consumerProtocols(['t']) });
    await k.coord.leaveGroup({ groupId: G, members: members.map((memberId) => ({ memberId, groupInstanceId: null })) });
    await k.sched.advance(0);
    expect((await k.coord.deleteGroups([G]))[0]?.errorCode).toBe(0);
    // Only the periodic offset-expiry timer remains.
    expect(k.sched.pending).toBe(1);
  });
});
