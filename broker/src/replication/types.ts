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
  readonly isLeader: boolean;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Bytes appended since this replica was loaded (monotonic; delayed fetches diff it). */
  readonly bytesAppended: number;
  /**
   * Validate and append produced batches (patched in place). Throws PartitionError
   * (replication/errors.ts). A duplicate idempotent batch returns its original offsets.
   */
  appendAsLeader(records: Buffer, requiredAcks: number): AppendOutcome;
  /** Whole stored batches from `offset`, below the HW. Throws OffsetOutOfRangeError. */
  /** `pooled`: see PartitionLog.read (Fetch handler only). */
  read(offset: number, maxBytes: number, minOneBatch: boolean, pooled?: boolean): FetchData;
  /**
   * DeleteRecords: move the log start offset to `offset` (-1 = high watermark).
   * Returns the new low watermark. Throws OffsetOutOfRangeError beyond the high watermark.
   */
  deleteRecordsBefore(offset: number): number;
}

export type DelayedOutcome = 'completed' | 'expired' | 'shutdown';

export interface ReplicaManager {
  partition(topic: string, partition: number): PartitionReplica | undefined;
  /**
   * acks=all: resolves once the HW passes `lastOffset` ('completed'), or on timeout. With an
   * ISR of one this completes at once, through the same path the replicated case uses.
   */
  waitForReplication(replica: PartitionReplica, lastOffset: number, timeoutMs: number): Promise<DelayedOutcome>;
  /**
   * Long-poll fetch: resolves once at least `bytesNeeded` new bytes were appended to any of
   * `replicas` since the call, or after `maxWaitMs`.
   */
  waitForData(replicas: readonly PartitionReplica[], bytesNeeded: number, maxWaitMs: number): Promise<DelayedOutcome>;
}
