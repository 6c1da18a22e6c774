/** Shared set-up for the coordinator's tests: a coordinator on a manual clock and an in-memory offsets topic. */
import { ErrorCode } from '../protocol/errors.js';
import { encodeSubscription } from './consumer-protocol.js';
import { GroupCoordinator } from './group-coordinator.js';
import { InMemoryOffsetsTopic } from './in-memory-offsets-log.js';
import { ManualScheduler } from './scheduler.js';
import type { EndOffsetLookup, GroupCoordinatorConfig, GroupProtocol, JoinGroupParams, JoinGroupResult, SyncGroupResult } from './types.js';

export interface Kit {
  sched: ManualScheduler;
  topic: InMemoryOffsetsTopic;
  coord: GroupCoordinator;
  ends: Map<string, number>;
}

export async function makeKit(config: Partial<GroupCoordinatorConfig> = {}, topic = new InMemoryOffsetsTopic(), sched = new ManualScheduler()): Promise<Kit> {
  const ends = new Map<string, number>();
  const endOffsets: EndOffsetLookup = { endOffset: (t, p) => ends.get(`${t}-${p}`) };
  const coord = new GroupCoordinator({
    port: topic,
    scheduler: sched,
    endOffsets,
    config: { groupInitialRebalanceDelayMs: 0, ...config },
  });
  await coord.start();
  return { sched, topic, coord, ends };
}

/** A restarted broker over the same log: a fresh coordinator that must rebuild everything. */
export async function reloadKit(k: Kit, config: Partial<GroupCoordinatorConfig> = {}): Promise<Kit> {
  await k.coord.shutdown();
  return makeKit(config, k.topic, k.sched);
}

export function consumerProtocols(topics: readonly string[], names: readonly string[] = ['range']): GroupProtocol[] {
  return names.map((name) => ({ name, metadata: encodeSubscription(topics) }));
}

export function joinParams(groupId: string, over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: consumerProtocols(['t']),
    requireKnownMemberId: true,
    supportSkippingAssignment: false,
    reason: null,
    ...over,
  };
}

/** JoinGroup v4+: take the MEMBER_ID_REQUIRED id, then send the real join (still parked). */
export async function startJoin(k: Kit, groupId: string, over: Partial<JoinGroupParams> = {}): Promise<{ memberId: string; join: Promise<JoinGroupResult> }> {
  const first = await k.coord.joinGroup(joinParams(groupId, over));
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  const memberId = first.memberId;
  return { memberId, join: k.coord.joinGroup(joinParams(groupId, { ...over, memberId })) };
}

/** Resolve once `p` settles, advancing the clock by `ms` first. */
export async function advanceAnd<T>(k: Kit, p: Promise<T>, ms = 0): Promise<T> {
  await k.sched.advance(ms);
  return p;
}

/** Is the promise still parked after the event loop drained? */
export async function isParked(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('parked');
  const r = await Promise.race([p, new Promise((resolve) => setImmediate(() => resolve(marker)))]);
  return r === marker;
}

/**
 * Form a Stable group of `n` members: all join, the leader assigns `assignment(memberId)`,
 * everyone syncs. Returns the member ids (leader first) and the generation.
 */
export async function formGroup(
  k: Kit,
  groupId: string,
  n: number,
  over: Partial<JoinGroupParams> = {},
): Promise<{ members: string[]; leader: string; generation: number; joins: JoinGroupResult[]; syncs: SyncGroupResult[] }> {
  const started = [];
  for (let i = 0; i < n; i++) started.push(await startJoin(k, groupId, { clientId: `c${i}`, ...over }));
  await k.sched.advance(0);
  const joins = await Promise.all(started.map((s) => s.join));
  for (const j of joins) if (j.errorCode !== ErrorCode.NONE) throw new Error(`join failed: ${j.errorCode}`);
  const leader = joins[0]?.leader ?? '';
  const generation = joins[0]?.generationId ?? -1;
  const members = [leader, ...joins.map((j) => j.memberId).filter((id) => id !== leader)];
  const syncs = await Promise.all(
    joins.map((j) =>
      k.coord.syncGroup({
        groupId,
        generationId: j.generationId,
        memberId: j.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: j.protocolName,
        assignments: j.memberId === leader ? j.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`a:${m.memberId}`) })) : [],
      }),
    ),
  );
  return { members, leader, generation, joins, syncs };
}
