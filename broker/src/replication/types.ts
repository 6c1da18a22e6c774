/**
 * The broker-side view of partition replicas. On a single broker every partition is led
 * here with an ISR of one; the replication issue adds followers behind the same interface.
 */
import type { PartitionLog, ReadResult } from '../storage/types.js';

export interface AppendOutcome {
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The broker time stamped into the batches, or -1 for CreateTime. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  /** True when an idempotent retry matched an earlier batch and nothing was appended. */
  readonly duplicate: boolean;
}

export interface FetchData extends ReadResult {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface PartitionReplica {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly leaderEpoch: number;
  readonly leaderId: number;
  /** Leader per the metadata and allowed to act as one (the broker's registry session is valid). */
  readonly isLeader: boolean;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Bytes appended since this replica was loaded (monotonic; follower long polls diff it). */
  readonly bytesAppended: number;
  /** Appended bytes now below the HW (monotonic; consumer long polls diff it). */
  readonly bytesCommitted: number;
  /**
   * Validate and append produced batches (patched in place). Throws PartitionError
   * (replication/errors.ts). A duplicate idempotent batch returns its original offsets.
   */
  appendAsLeader(records: Buffer, requiredAcks: number): AppendOutcome;
  /** Whole stored batches from `offset`, below the HW. Throws OffsetOutOfRangeError. */
  /** `pooled`: see PartitionLog.read (Fetch handler only). */
  read(offset: number, maxBytes: number, minOneBatch: boolean, pooled?: boolean): FetchData;
  /** A follower's fetch on the leader: whole batches up to the LEO (not the HW). */
  readForFollower(offset: number, maxBytes: number, minOneBatch: boolean, pooled?: boolean): FetchData;
  /**
   * DeleteRecords: move the log start offset to `offset` (-1 = high watermark).
   * Returns the new low watermark. Throws OffsetOutOfRangeError beyond the high watermark.
   */
  deleteRecordsBefore(offset: number): number;
}

export type DelayedOutcome = 'completed' | 'expired' | 'shutdown';

/**
 * How an acks=all wait ended: 'completed' (HW passed the batch with enough ISR members),
 * 'expired' (REQUEST_TIMED_OUT), 'shutdown', or the Kafka error the producer gets.
 */
export type ReplicationOutcome = DelayedOutcome | 'NOT_LEADER_OR_FOLLOWER' | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';

export interface ReplicaManager {
  partition(topic: string, partition: number): PartitionReplica | undefined;
  /**
   * acks=all: resolves once the HW passes `lastOffset` ('completed'), or on timeout. With an
   * ISR of one this completes at once, through the same path the replicated case uses.
   */
  waitForReplication(replica: PartitionReplica, lastOffset: number, timeoutMs: number): Promise<ReplicationOutcome>;
  /**
   * Long-poll fetch: resolves once at least `bytesNeeded` new bytes became readable in any of
   * `replicas` since the call (below the HW for consumers, appended for a follower), or after
   * `maxWaitMs`.
   */
  waitForData(replicas: readonly PartitionReplica[], bytesNeeded: number, maxWaitMs: number, follower?: boolean): Promise<DelayedOutcome>;
  /**
   * Leader side of a follower's Fetch: its fetch offset is its LEO, which may move the HW and
   * the ISR. False when `followerId` is not a replica of the partition.
   */
  recordFollowerFetch(replica: PartitionReplica, followerId: number, fetchOffset: number): boolean;
}
