import { ErrorCode } from '../protocol/errors.js';
import { advanceAnd, consumerProtocols, isParked, joinParams, makeKit, type Kit } from './coordinator-test-kit.js';
import type { JoinGroupResult } from './types.js';

const G = 'group-static';

async function staticGroup(k: Kit, instances: string[], session = 10_000) {
  const joins = instances.map((id) => k.coord.joinGroup(joinParams(G, { groupInstanceId: id, clientId: id, sessionTimeoutMs: session })));
  await k.sched.advance(0);
  const rs = await Promise.all(joins);
  const leader = rs[0]?.leader ?? '';
  const byInstance = new Map<string, JoinGroupResult>(instances.map((id, i) => [id, rs[i] as JoinGroupResult]));
  await Promise.all(
    rs.map((r, i) =>
      k.coord.syncGroup({
        groupId: G,
        generationId: r.generationId,
        memberId: r.memberId,
        groupInstanceId: instances[i] ?? null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: r.memberId === leader ? r.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`for-${m.groupInstanceId}`) })) : [],
      }),
    ),
  );
  return { byInstance, leader };
}

describe('static membership (group.instance.id)', () => {
  it('static members skip MEMBER_ID_REQUIRED and get ids derived from the instance id', async () => {
    const k = await makeKit();
    const { byInstance } = await staticGroup(k, ['i-a', 'i-b']);
    expect(byInstance.get('i-a')?.memberId).toMatch(/^i-a-/);
    const leaderJoin = [...byInstance.values()].find((r) => r.members.length > 0);
    expect(leaderJoin?.members.map((m) => m.groupInstanceId).sort()).toEqual(['i-a', 'i-b']);
  });

  it('a restart within the session timeout gets its old assignment without a rebalance; the old id is fenced', async () => {
    const k = await makeKit();
    const { byInstance } = await staticGroup(k, ['i-a', 'i-b']);
    const oldB = byInstance.get('i-b')?.memberId ?? '';
    await k.sched.advance(5000); // i-b restarts 5 s later, before its 10 s session ends
    const r = await advanceAnd(k, k.coord.joinGroup(joinParams(G, { groupInstanceId: 'i-b', clientId: 'i-b' })));
    expect(r.errorCode).toBe(0);
    expect(r.generationId).toBe(1); // no new generation
    expect(r.memberId).not.toBe(oldB);
    const s = await k.coord.syncGroup({ groupId: G, generationId: 1, memberId: r.memberId, groupInstanceId: 'i-b', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    expect(s.assignment.toString()).toBe('for-i-b');
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('Stable');
    // The old incarnation (a duplicate instance, or a zombie) is fenced everywhere.
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: oldB, groupInstanceId: 'i-b' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const c = await k.coord.commitOffsets({ groupId: G, generationId: 1, memberId: oldB, groupInstanceId: 'i-b', retentionTimeMs: -1, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(c.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await k.coord.joinGroup(joinParams(G, { memberId: oldB, groupInstanceId: 'i-b' }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const l = await k.coord.leaveGroup({ groupId: G, members: [{ memberId: oldB, groupInstanceId: 'i-b' }] });
    expect(l.members[0]?.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    // The new incarnation works.
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: r.memberId, groupInstanceId: 'i-b' })).toBe(0);
  });

  it('a restarted static leader (v9) is told to skip assignment; older clients see the old leader id', async () => {
    const k = await makeKit();
    const { byInstance, leader } = await staticGroup(k, ['i-a', 'i-b']);
    const leaderInstance = byInstance.get('i-a')?.memberId === leader ? 'i-a' : 'i-b';
    const r = await advanceAnd(k, k.coord.joinGroup(joinParams(G, { groupInstanceId: leaderInstance, supportSkippingAssignment: true })));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true, leader: r.memberId });
    expect(r.members).toHaveLength(2);
    const r2 = await advanceAnd(k, k.coord.joinGroup(joinParams(G, { groupInstanceId: leaderInstance, supportSkippingAssignment: false })));
    expect(r2).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: false, leader: r.memberId, members: [] });
  });

  it('a static member that stays away past its session timeout is removed and the group rebalances', async () => {
    const k = await makeKit();
    const { byInstance } = await staticGroup(k, ['i-a', 'i-b'], 10_000);
    const a = byInstance.get('i-a')?.memberId ?? '';
    await k.sched.advance(6000);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: a, groupInstanceId: 'i-a' })).toBe(0);
    await k.sched.advance(6000);
    expect(await k.coord.heartbeat({ groupId: G, generationId: 1, memberId: a, groupInstanceId: 'i-a' })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('a static member rejoining with other protocols forces a rebalance', async () => {
    const k = await makeKit();
    await staticGroup(k, ['i-a']);
    const j = k.coord.joinGroup(joinParams(G, { groupInstanceId: 'i-a', protocols: consumerProtocols(['t'], ['sticky', 'range']) }));
    const r = await advanceAnd(k, j);
    // A single member: its preference wins and the generation moves on.
    expect(r).toMatchObject({ errorCode: 0, generationId: 2, protocolName: 'sticky' });
  });

  it('a static member can be removed by instance id alone (admin)', async () => {
    const k = await makeKit();
    await staticGroup(k, ['i-a', 'i-b']);
    const l = await k.coord.leaveGroup({ groupId: G, members: [{ memberId: '', groupInstanceId: 'i-b' }, { memberId: '', groupInstanceId: 'nope' }] });
    expect(l.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('PreparingRebalance');
  });

  it('a duplicate instance joining during CompletingRebalance fences the parked sync of the old one', async () => {
    const k = await makeKit();
    const j = k.coord.joinGroup(joinParams(G, { groupInstanceId: 'i-a' }));
    const jb = k.coord.joinGroup(joinParams(G, { groupInstanceId: 'i-b' }));
    await k.sched.advance(0);
    const [ra, rb] = await Promise.all([j, jb]);
    const follower = ra.leader === ra.memberId ? { r: rb, id: 'i-b' } : { r: ra, id: 'i-a' };
    const parkedSync = k.coord.syncGroup({ groupId: G, generationId: 1, memberId: follower.r.memberId, groupInstanceId: follower.id, protocolType: null, protocolName: null, assignments: [] });
    expect(await isParked(parkedSync)).toBe(true);
    const dup = k.coord.joinGroup(joinParams(G, { groupInstanceId: follower.id }));
    expect((await parkedSync).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await isParked(dup)).toBe(true);
    expect((await k.coord.describeGroups([G]))[0]?.state).toBe('PreparingRebalance');
  });
});
