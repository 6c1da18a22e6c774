/**
 * Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete, retention-based expiry, and the
 * shared cleanup that writes tombstones and retires empty groups (also used by DeleteGroups).
 */
import { ErrorCode } from '../protocol/errors.js';
import type { RecordInput } from '../protocol/records/record-codec.js';
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.js';
import { offsetKey, splitOffsetKey, type Group } from './group.js';
import { GroupState } from './group-state.js';
import { appendErrorCode, offsetCommitError } from './group-store.js';
import { validateCurrentMember } from './membership.js';
import type { CoordinatorCore } from './rebalance.js';
import type {
  CommitOffsetsParams,
  CommitOffsetsResult,
  CommittedOffset,
  DeleteOffsetsParams,
  DeleteOffsetsResult,
  FetchedOffset,
  FetchOffsetsParams,
  FetchOffsetsResult,
  PartitionErrorResult,
} from './types.js';

function uniform(req: CommitOffsetsParams, errorCode: number): CommitOffsetsResult {
  return {
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}

/** Kafka's validateOffsetCommit (classic, non-transactional). */
function validateOffsetCommit(group: Group, req: CommitOffsetsParams): number | null {
  if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // Generation -1: the admin client or a consumer without group management; fine while Empty.
  if (req.generationId < 0 && group.is(GroupState.Empty)) return null;
  if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (err !== null) return err;
    return req.generationId === group.generationId ? null : ErrorCode.ILLEGAL_GENERATION;
  }
  // A non-empty group only takes commits from its members.
  return group.is(GroupState.Empty) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
}

export async function commitOffsets(core: CoordinatorCore, req: CommitOffsetsParams): Promise<CommitOffsetsResult> {
  const status = core.validateGroupStatus(req.groupId, true);
  if (status !== null) return uniform(req, status);
  let group = core.group(req.groupId);
  if (group === undefined) {
    // No group and generation -1: a simple consumer storing offsets here; anything else is
    // a commit from a generation this coordinator no longer knows.
    if (req.generationId >= 0) return uniform(req, ErrorCode.ILLEGAL_GENERATION);
    group = core.getOrCreateGroup(req.groupId);
  }
  const err = validateOffsetCommit(group, req);
  if (err !== null) return uniform(req, err);
  switch (group.state) {
    case GroupState.Empty:
      break;
    case GroupState.Stable:
    case GroupState.PreparingRebalance: {
      // Still allowed while preparing: the heartbeat tells the member about the rebalance.
      const m = group.members.get(req.memberId);
      if (m !== undefined) core.completeAndScheduleNextHeartbeat(group, m);
      break;
    }
    case GroupState.CompletingRebalance:
      // The member has the new generation from JoinGroup but no assignment yet.
      return uniform(req, ErrorCode.REBALANCE_IN_PROGRESS);
    default:
      return uniform(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  return storeOffsets(core, group.groupId, req);
}

async function storeOffsets(core: CoordinatorCore, groupId: string, req: CommitOffsetsParams): Promise<CommitOffsetsResult> {
  const now = core.now();
  const result: CommitOffsetsResult = { topics: [] };
  const accepted: { topic: string; partition: number; value: CommittedOffset; out: { errorCode: number } }[] = [];
  for (const t of req.topics) {
    const topicResult: PartitionErrorResult = { name: t.name, partitions: [] };
    result.topics.push(topicResult);
    for (const p of t.partitions) {
      const out: { partitionIndex: number; errorCode: number } = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      topicResult.partitions.push(out);
      const metadata = p.committedMetadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > core.config.offsetMetadataMaxBytes) {
        out.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        continue;
      }
      const commitTimestamp = p.commitTimestamp !== undefined && p.commitTimestamp >= 0 ? p.commitTimestamp : now;
      accepted.push({
        topic: t.name,
        partition: p.partitionIndex,
        out,
        value: {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp,
          expireTimestamp: req.retentionTimeMs >= 0 ? commitTimestamp + req.retentionTimeMs : -1,
          recordOffset: -1,
        },
      });
    }
  }
  if (accepted.length === 0) return result;
  const partition = core.partitionOf(groupId);
  const records: RecordInput[] = accepted.map((a) => core.store.offsetRecord(groupId, { topic: a.topic, partition: a.partition, value: a.value }));
  let baseOffset: number;
  try {
    // One batch: the commit of all partitions lands (or fails) as a whole.
    baseOffset = await core.store.append(partition, records);
  } catch (err) {
    const code = offsetCommitError(appendErrorCode(err));
    core.logger?.warn({ groupId, err }, 'offset commit append failed');
    for (const a of accepted) a.out.errorCode = code;
    return result;
  }
  // The record is in the log; mirror it in memory unless the partition moved away meanwhile.
  if (core.ownedPartitions.has(partition)) {
    const group = core.getOrCreateGroup(groupId);
    accepted.forEach((a, i) => {
      const key = offsetKey(a.topic, a.partition);
      const recordOffset = baseOffset + i;
      const prev = group.offsets.get(key);
      // Concurrent commits may complete out of order: the later record always wins.
      if (prev === undefined || prev.recordOffset < recordOffset) group.offsets.set(key, { ...a.value, recordOffset });
    });
  }
  return result;
}

export function fetchOffsets(core: CoordinatorCore, req: FetchOffsetsParams): FetchOffsetsResult {
  const status = core.validateGroupStatus(req.groupId, true);
  if (status !== null) return { errorCode: status, topics: [] };
  // Offsets are answered whatever the group's state: simple consumers have no membership.
  const group = core.group(req.groupId);
  const fetched = (topic: string, partitionIndex: number): FetchedOffset => {
    const o = group?.offsets.get(offsetKey(topic, partitionIndex));
    return o === undefined
      ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
      : { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
  };
  if (req.topics !== null) {
    return { errorCode: ErrorCode.NONE, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => fetched(t.name, p)) })) };
  }
  const byTopic = new Map<string, FetchedOffset[]>();
  for (const key of group?.offsets.keys() ?? []) {
    const { topic, partition } = splitOffsetKey(key);
    let list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, (list = []));
    list.push(fetched(topic, partition));
  }
  return {
    errorCode: ErrorCode.NONE,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })),
  };
}

export async function deleteOffsets(core: CoordinatorCore, req: DeleteOffsetsParams): Promise<DeleteOffsetsResult> {
  const status = core.validateGroupStatus(req.groupId, false);
  if (status !== null) return { errorCode: status, topics: [] };
  const group = core.group(req.groupId);
  if (group === undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
  const consumerGroup = group.protocolType === CONSUMER_PROTOCOL_TYPE;
  if (!group.is(GroupState.Empty) && !consumerGroup) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
  const eligible: string[] = [];
  const topics: PartitionErrorResult[] = req.topics.map((t) => {
    // A live consumer group keeps the offsets of topics it subscribes to (its protocol metadata says which).
    const subscribed = !group.is(GroupState.Empty) && group.isSubscribedToTopic(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        eligible.push(offsetKey(t.name, p));
        return { partitionIndex: p, errorCode: ErrorCode.NONE };
      }),
    };
  });
  if (eligible.length > 0) await cleanupGroups(core, [group], (g) => removeOffsets(g, eligible));
  return { errorCode: ErrorCode.NONE, topics };
}

function removeOffsets(group: Group, keys: readonly string[]): string[] {
  return keys.filter((k) => group.offsets.delete(k));
}

export function removeAllOffsets(group: Group): string[] {
  const keys = [...group.offsets.keys()];
  group.offsets.clear();
  return keys;
}

/**
 * Kafka's removeExpiredOffsets. Empty group: everything older than the retention counted from
 * when it became Empty. Stable consumer group: offsets of topics it no longer subscribes to,
 * counted from their commit. Offsets-only group (no protocol type): from their commit. An
 * explicit expire timestamp (OffsetCommit v2-4) overrides all of these.
 */
export function removeExpiredOffsets(group: Group, now: number, retentionMs: number): string[] {
  const expired = (base: (o: CommittedOffset) => number, subscribed: ReadonlySet<string> = new Set()): string[] => {
    const out: string[] = [];
    for (const [key, o] of group.offsets) {
      if (subscribed.has(splitOffsetKey(key).topic)) continue;
      const isExpired = o.expireTimestamp >= 0 ? now >= o.expireTimestamp : now - base(o) >= retentionMs;
      if (isExpired) out.push(key);
    }
    return out;
  };
  let keys: string[] = [];
  if (group.protocolType !== null && group.is(GroupState.Empty)) {
    keys = expired(() => group.currentStateTimestamp);
  } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is(GroupState.Stable)) {
    keys = expired((o) => o.commitTimestamp, group.subscribedTopics);
  } else if (group.protocolType === null) {
    keys = expired((o) => o.commitTimestamp);
  }
  for (const k of keys) group.offsets.delete(k);
  return keys;
}

/**
 * Kafka's cleanupGroupMetadata: remove offsets chosen by `selector`, retire groups left Empty
 * without offsets (Dead, out of the cache), and write the tombstones. The log write is best
 * effort, as in Kafka: a lost tombstone only delays the cleanup until the next expiry pass.
 */
export async function cleanupGroups(core: CoordinatorCore, groups: readonly Group[], selector: (g: Group) => string[]): Promise<number> {
  let removed = 0;
  const writes: Promise<unknown>[] = [];
  for (const group of groups) {
    const keys = selector(group);
    removed += keys.length;
    if (group.is(GroupState.Empty) && group.offsets.size === 0) {
      group.cancelTimers();
      group.transitionTo(GroupState.Dead, core.now());
    }
    const dead = group.is(GroupState.Dead);
    if (dead && core.groups.get(group.groupId) === group) core.groups.delete(group.groupId);
    const records: RecordInput[] = keys.map((k) => core.store.offsetRecord(group.groupId, { ...splitOffsetKey(k), value: null }));
    // Generation 0 means offsets-only usage: no group metadata record was ever written.
    if (dead && group.generationId > 0) records.push(core.store.groupRecord(group.groupId, null));
    if (records.length === 0) continue;
    writes.push(
      core.store.append(core.partitionOf(group.groupId), records).catch((err: unknown) => {
        core.logger?.warn({ groupId: group.groupId, err }, 'writing tombstones failed');
      }),
    );
  }
  await Promise.all(writes);
  return removed;
}
