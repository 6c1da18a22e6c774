/**
 * Contracts of the group coordinator: the plain domain objects its methods take and return
 * (handlers map them to and from protocol messages), the ports the server wiring implements,
 * and the clock/scheduler that makes every timeout drivable from tests.
 */

// ---------------- time ----------------

export interface TimerHandle {
  cancel(): void;
}

/** Wall clock plus one-shot timers. Tests use ManualScheduler; the broker uses systemScheduler. */
export interface Scheduler {
  now(): number;
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

// ---------------- persistence ports (implemented by the server wiring) ----------------

/**
 * One partition of __consumer_offsets as the coordinator needs it. The broker implements it on
 * its Partition/ReplicaManager; tests use InMemoryOffsetsLog (a legitimate double holding the
 * real encoded batches).
 */
export interface OffsetsPartitionLog {
  /**
   * Append one RecordBatch v2 (built here, uncompressed) as leader and resolve once it is as
   * durable as acks=all makes it; resolve to the base offset assigned. Reject with a
   * KafkaError (e.g. NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS) on failure.
   */
  append(batch: Buffer): Promise<number>;
  /** Whole batches from `offset` on, in offset order; each chunk holds one or more batches. */
  readFrom(offset: number): AsyncIterable<Buffer>;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
}

export interface OffsetsTopicPort {
  /** Is this broker the leader of __consumer_offsets-`partition` right now? */
  isLocalLeader(partition: number): boolean;
  partitionLog(partition: number): OffsetsPartitionLog | undefined;
  /** Create __consumer_offsets (compacted, offsets.topic.num.partitions) if missing. */
  ensureTopic(): Promise<void>;
}

/** Log end offsets for lag; the broker answers from its replicas (high watermark). */
export interface EndOffsetLookup {
  endOffset(topic: string, partition: number): number | undefined;
}

// ---------------- configuration ----------------

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  readonly offsetsTopicPartitions: number;
  /** group.min.session.timeout.ms */
  readonly groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  readonly groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms */
  readonly groupInitialRebalanceDelayMs: number;
  /** group.max.size */
  readonly groupMaxSize: number;
  /** offsets.retention.minutes, in ms */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  readonly offsetMetadataMaxBytes: number;
  /** How long a new member's parked JoinGroup may wait (Kafka's NewMemberJoinTimeoutMs). */
  readonly newMemberJoinTimeoutMs: number;
}

export const DEFAULT_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicPartitions: 50,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupInitialRebalanceDelayMs: 3000,
  groupMaxSize: 2_147_483_647,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,
};

// ---------------- JoinGroup / SyncGroup / Heartbeat / LeaveGroup ----------------

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupParams {
  groupId: string;
  /** "" for a member without an id yet. */
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  /** Negative (JoinGroup v0) means "same as the session timeout". */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  /** JoinGroup v4+: a new dynamic member first gets MEMBER_ID_REQUIRED (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: the leader may be told to skip assignment (KIP-814). */
  supportSkippingAssignment: boolean;
  reason: string | null;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  /** "" when unknown. */
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** SyncGroup v5+; null when the client did not send it. */
  protocolType: string | null;
  protocolName: string | null;
  /** The leader's assignment; empty from followers. */
  assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupParams {
  groupId: string;
  /** LeaveGroup v0-2 send one member; v3+ a batch (memberId "" + instance id = by instance). */
  members: readonly { memberId: string; groupInstanceId: string | null; reason?: string | null }[];
}

export interface LeaveGroupResult {
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

// ---------------- offsets ----------------

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export interface CommitOffsetsParams {
  groupId: string;
  /** -1 for a simple (non-group-managed) commit. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** OffsetCommit v2-4 only; -1 = broker retention. */
  retentionTimeMs: number;
  topics: readonly {
    name: string;
    partitions: readonly {
      partitionIndex: number;
      committedOffset: number;
      /** -1 = unknown. */
      committedLeaderEpoch: number;
      committedMetadata: string | null;
      /** OffsetCommit v1 only; -1 = now. */
      commitTimestamp?: number;
    }[];
  }[];
}

export interface PartitionErrorResult {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface CommitOffsetsResult {
  topics: PartitionErrorResult[];
}

export interface FetchOffsetsParams {
  groupId: string;
  /** null = every committed offset of the group. */
  topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null;
  /** Accepted; there are no pending transactional offsets yet, so every offset is stable. */
  requireStable: boolean;
}

export interface FetchedOffset {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchOffsetsResult {
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface DeleteOffsetsParams {
  groupId: string;
  topics: readonly { name: string; partitions: readonly number[] }[];
}

export interface DeleteOffsetsResult {
  errorCode: number;
  topics: PartitionErrorResult[];
}

/** What is kept per committed partition (OffsetAndMetadata plus where its record sits). */
export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** -1 = none; else an explicit expiry from an OffsetCommit v2-4 retention time. */
  expireTimestamp: number;
  /** Offset of the record in __consumer_offsets: a later record always wins. */
  recordOffset: number;
}

// ---------------- admin / metrics ----------------

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** The member's metadata for the selected protocol; empty unless Stable. */
  metadata: Buffer;
  assignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  /** Kafka's state name ("Stable", ...); "" on error, "Dead" for an unknown group. */
  state: string;
  protocolType: string;
  /** The selected protocol when Stable, else "". */
  protocolData: string;
  members: DescribedMember[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: number;
  /** undefined when the partition is not known here. */
  endOffset: number | undefined;
  /** max(0, endOffset - committedOffset), or undefined with endOffset. */
  lag: number | undefined;
}

export interface GroupLag {
  groupId: string;
  state: string;
  partitions: PartitionLag[];
  totalLag: number;
}
