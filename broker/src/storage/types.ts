import type { LeaderEpochCache } from './leader-epoch-cache.js';

/**
 * The contract of one partition's on-disk log. Storage knows nothing of the network or the
 * cluster: callers hand it RecordBatch v2 bytes that the leader already validated (CRC,
 * magic, sizes) and it stores them exactly, patching only the base offset.
 */

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this. */
  readonly segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  readonly segmentMs: number;
  /** retention.ms: delete whole segments whose newest timestamp is older; -1 = forever. */
  readonly retentionMs: number;
  /** retention.bytes: delete oldest whole segments while the log is larger; -1 = unlimited. */
  readonly retentionBytes: number;
  /** index.interval.bytes: one sparse index entry per this many log bytes (Kafka: 4096). */
  readonly indexIntervalBytes: number;
  /** segment.index.bytes: max index file size; a full index rolls the segment (Kafka: 10 MiB). */
  readonly segmentIndexBytes: number;
  /** file.delete.delay.ms is not modelled: deleted segments are unlinked at once. */
}

export interface AppendResult {
  /** Offset of the first record appended. */
  readonly firstOffset: number;
  /** Offset of the last record appended. */
  readonly lastOffset: number;
  /** Largest batch maxTimestamp in the append (after any LogAppendTime stamping by the caller). */
  readonly maxTimestamp: number;
  /** Number of batches and bytes written. */
  readonly batchCount: number;
  readonly bytes: number;
}

export interface ReadResult {
  /** Whole batches in offset order, as stored; zero or more chunks to be written out as they are. */
  readonly chunks: Buffer[];
  readonly bytes: number;
}

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export interface PartitionLog {
  readonly dir: string;
  /** The leader-epoch checkpoint (epoch -> start offset), truncated along with the log. */
  readonly epochs: LeaderEpochCache;
  /** The high watermark recorded by checkpointHighWatermark before the last restart (-1 if none). */
  readonly checkpointedHighWatermark: number;
  /** First offset still readable (advanced by retention and DeleteRecords). */
  readonly logStartOffset: number;
  /** Log end offset: the offset the next appended record will get. */
  readonly logEndOffset: number;
  /** Total bytes of all segments' .log files. */
  readonly sizeInBytes: number;
  readonly segmentCount: number;
  config: LogConfig;

  /**
   * Append one buffer holding one or more complete, validated batches. Rewrites each batch's
   * baseOffset (bytes 0-7) so offsets continue densely from logEndOffset, in place in the
   * given buffer, then writes it. Rolls segments as needed. No per-record work.
   */
  append(batches: Buffer): AppendResult;

  /**
   * Append batches that already carry their offsets (a follower copying its leader). Offsets
   * must start at logEndOffset. Used from the replication issue on.
   */
  appendWithOffsets(batches: Buffer): AppendResult;

  /**
   * Whole batches starting with the batch that contains `offset`, up to `maxBytes` total,
   * never including a batch whose last offset is >= `maxOffset` (the high watermark).
   * If `minOneBatch` and the first batch alone exceeds maxBytes it is returned anyway (as Kafka).
   * Throws OffsetOutOfRangeError when offset < logStartOffset or offset > logEndOffset.
   * `pooled`: read into recycled buffers (storage/read-buffers.ts); only for a caller that
   * writes the chunks to one socket and keeps nothing (the Fetch handler).
   */
  read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean, pooled?: boolean): ReadResult;

  /**
   * Kafka's ListOffsets-by-timestamp: the first batch (by offset) whose maxTimestamp >= timestamp,
   * found through the time index without scanning whole segments. Returns that batch's bytes so
   * the caller can pick the exact record; null when no batch qualifies.
   */
  findBatchByTimestamp(timestamp: number): { baseOffset: number; batch: Buffer } | null;

  /** The batch with the largest maxTimestamp (ListOffsets MAX_TIMESTAMP, -3); null if empty. */
  findMaxTimestampBatch(): { baseOffset: number; batch: Buffer } | null;

  /** DeleteRecords: move logStartOffset forward (never back); deletes segments wholly below it. */
  advanceLogStartOffset(offset: number): void;

  /** Apply retention.ms / retention.bytes now; returns the number of segments deleted. */
  enforceRetention(nowMs: number): number;

  /** Remove everything at or above `offset` (follower truncation, from the replication issue on). */
  truncateTo(offset: number): void;

  /** Drop everything and restart empty at `offset` (a follower behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): void;

  /** Remember the partition's HW for the next start; `persist` writes the checkpoint now. */
  checkpointHighWatermark(hw: number, persist: boolean): void;

  /** fdatasync the active segment and indexes. */
  flush(): void;
  /** Flush and close every file handle. */
  close(): void;
  /** Close and remove the partition directory. */
  deleteAll(): void;
}

export class OffsetOutOfRangeError extends Error {
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super(`offset ${offset} out of range [${logStartOffset}, ${logEndOffset}]`);
    this.name = 'OffsetOutOfRangeError';
  }
}
