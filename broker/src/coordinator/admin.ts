/**
 * DescribeGroups, ListGroups, DeleteGroups, and the broker-side views metrics use (committed
 * offsets, consumer lag).
 */
import { ErrorCode } from '../protocol/errors.js';
import { splitOffsetKey, type Group } from './group.js';
import { GroupState, parseStatesFilter } from './group-state.js';
import { cleanupGroups, removeAllOffsets } from './offsets.js';
import type { CoordinatorCore } from './rebalance.js';
import type { CommittedOffset, DescribedGroup, EndOffsetLookup, GroupLag, ListGroupsResult, PartitionLag } from './types.js';

const EMPTY = Buffer.alloc(0);

export function describeGroup(core: CoordinatorCore, groupId: string): DescribedGroup {
  const status = core.validateGroupStatus(groupId, true);
  if (status !== null) return { groupId, errorCode: status, state: '', protocolType: '', protocolData: '', members: [] };
  const group = core.group(groupId);
  if (group === undefined) {
    return { groupId, errorCode: ErrorCode.NONE, state: GroupState.Dead, protocolType: '', protocolData: '', members: [] };
  }
  // Member metadata and assignments are only meaningful (and only shown) once Stable.
  const stable = group.is(GroupState.Stable);
  const protocol = stable ? (group.protocolName ?? '') : '';
  return {
    groupId,
    errorCode: ErrorCode.NONE,
    state: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: protocol,
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable && m.supports(protocol) ? m.metadata(protocol) : EMPTY,
      assignment: stable ? m.assignment : EMPTY,
    })),
  };
}

export function listGroups(core: CoordinatorCore, states: readonly string[]): ListGroupsResult {
  if (!core.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const filter = parseStatesFilter(states);
  const groups = [...core.groups.values()]
    .filter((g) => core.ownedPartitions.has(core.partitionOf(g.groupId)))
    .filter((g) => filter.size === 0 || filter.has(g.state.toLowerCase()))
    .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
  // Groups of loading partitions are not listed yet: say so, as Kafka does.
  const errorCode = core.loadingPartitions.size > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
  return { errorCode, groups };
}

export async function deleteGroups(core: CoordinatorCore, groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
  const results = new Map<string, number>();
  const eligible: Group[] = [];
  for (const groupId of groupIds) {
    const status = core.validateGroupStatus(groupId, true);
    if (status !== null) {
      results.set(groupId, status);
      continue;
    }
    const group = core.group(groupId);
    if (group === undefined) {
      results.set(groupId, ErrorCode.GROUP_ID_NOT_FOUND);
    } else if (group.is(GroupState.Dead)) {
      // Listed twice in one request: the first mention already deletes it.
    } else if (group.is(GroupState.Empty)) {
      group.cancelTimers();
      group.transitionTo(GroupState.Dead, core.now());
      eligible.push(group);
      results.set(groupId, ErrorCode.NONE);
    } else {
      results.set(groupId, ErrorCode.NON_EMPTY_GROUP);
    }
  }
  if (eligible.length > 0) await cleanupGroups(core, eligible, removeAllOffsets);
  return groupIds.map((groupId) => ({ groupId, errorCode: results.get(groupId) ?? ErrorCode.UNKNOWN_SERVER_ERROR }));
}

export function committedOffsets(core: CoordinatorCore, groupId: string): Map<string, Map<number, CommittedOffset>> | undefined {
  const group = core.group(groupId);
  if (group === undefined || !core.ownedPartitions.has(core.partitionOf(groupId))) return undefined;
  const out = new Map<string, Map<number, CommittedOffset>>();
  for (const [key, o] of group.offsets) {
    const { topic, partition } = splitOffsetKey(key);
    let m = out.get(topic);
    if (m === undefined) out.set(topic, (m = new Map()));
    m.set(partition, { ...o });
  }
  return out;
}

/** Consumer lag per committed partition: end offset minus committed offset, never negative. */
export function groupLag(core: CoordinatorCore, ends: EndOffsetLookup, groupId: string): GroupLag | undefined {
  const offsets = committedOffsets(core, groupId);
  const group = core.group(groupId);
  if (offsets === undefined || group === undefined) return undefined;
  const partitions: PartitionLag[] = [];
  let totalLag = 0;
  for (const [topic, byPartition] of [...offsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [partition, o] of [...byPartition].sort(([a], [b]) => a - b)) {
      const endOffset = ends.endOffset(topic, partition);
      const lag = endOffset === undefined ? undefined : Math.max(0, endOffset - o.offset);
      if (lag !== undefined) totalLag += lag;
      partitions.push({ topic, partition, committedOffset: o.offset, endOffset, lag });
    }
  }
  return { groupId, state: group.state, partitions, totalLag };
}
