/**
 * The broker-side view of partition replicas. On a single broker every partition is led
 * here with an ISR of one; the replication issue adds followers behind the same interface.
 */
import type { PartitionLog } from '../storage/types.js';

export interface PartitionReplica {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * DeleteRecords: move the log start offset to `offset` (-1 = high watermark).
   * Returns the new low watermark. Throws OffsetOutOfRangeError beyond the high watermark.
   */
  deleteRecordsBefore(offset: number): number;
}

export interface ReplicaManager {
  partition(topic: string, partition: number): PartitionReplica | undefined;
}
