/**
 * One partition replica hosted by this broker. As leader it validates and appends produced
 * batches (headers only: CRC, sizes, idempotent-producer sequence), stamps LogAppendTime and
 * the leader epoch in place, and keeps the high watermark. On a single broker the ISR is
 * this broker alone, so HW follows LEO; the HW rule itself lives in high-watermark.ts.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { OFF_BASE_OFFSET } from '../protocol/records/batch-header.js';
import {
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  validateRecordBatches,
  type BatchSummary,
} from '../protocol/records/batch-validation.js';
import { OffsetOutOfRangeError, type PartitionLog } from '../storage/types.js';
import { nextHighWatermark } from './high-watermark.js';
import { PartitionError, type PartitionErrorKind } from './errors.js';
import { ProducerStateTable, type ProducerBatch } from './producer-state.js';
import { scanTail } from './producer-state-loader.js';
import type { AppendOutcome, FetchData, PartitionReplica } from './types.js';

export type { AppendOutcome, FetchData } from './types.js';

/** The topic configs the append path needs, resolved by the ReplicaManager. */
export interface AppendConfig {
  readonly maxMessageBytes: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly minInsyncReplicas: number;
  readonly segmentBytes: number;
}

export interface PartitionOptions {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly localBrokerId: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly config: AppendConfig;
  /** Called after every append (wakes delayed fetches / produces). */
  readonly onAppend?: (p: Partition, bytes: number) => void;
  readonly now?: () => number;
}

const VALIDATION_KINDS: ReadonlyMap<number, PartitionErrorKind> = new Map([
  [ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE'],
  [ErrorCode.INVALID_RECORD, 'INVALID_RECORD'],
  [ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 'UNSUPPORTED_FOR_MESSAGE_FORMAT'],
  [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'UNSUPPORTED_COMPRESSION_TYPE'],
]);

export class Partition implements PartitionReplica {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  private readonly localBrokerId: number;
  private leaderIdValue: number;
  private leaderEpochValue: number;
  private isrValue: readonly number[];
  private hw: number;
  /** Bytes appended since load; delayed fetches diff it to count new data cheaply. */
  private appendedBytes = 0;
  config: AppendConfig;
  readonly producers = new ProducerStateTable();
  private readonly onAppend: (p: Partition, bytes: number) => void;
  private readonly now: () => number;

  constructor(opts: PartitionOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.log = opts.log;
    this.localBrokerId = opts.localBrokerId;
    this.leaderIdValue = opts.leaderId;
    this.leaderEpochValue = opts.leaderEpoch;
    this.isrValue = opts.isr;
    this.config = opts.config;
    this.onAppend = opts.onAppend ?? (() => {});
    this.now = opts.now ?? Date.now;
    // Everything recovered locally is committed while we are the only ISR member.
    this.hw = this.log.logEndOffset;
  }

  get leaderEpoch(): number {
    return this.leaderEpochValue;
  }
  get leaderId(): number {
    return this.leaderIdValue;
  }
  get isr(): readonly number[] {
    return this.isrValue;
  }
  get isLeader(): boolean {
    return this.leaderIdValue === this.localBrokerId;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }
  get bytesAppended(): number {
    return this.appendedBytes;
  }

  /** Apply a new PartitionState from the metadata image. */
  updateState(leaderId: number, leaderEpoch: number, isr: readonly number[]): void {
    this.leaderIdValue = leaderId;
    this.leaderEpochValue = leaderEpoch;
    this.isrValue = isr;
    this.maybeAdvanceHighWatermark();
  }

  /** Rebuild idempotent-producer state from batch headers at the log tail. */
  loadProducerState(): number {
    const now = this.now();
    return scanTail(this.log, (b, baseOffset, appendTime) => this.producers.record(b, baseOffset, appendTime, now));
  }

  /**
   * Validate and append produced batches (a Buffer slice of the request, patched in place).
   * Throws PartitionError. A duplicate idempotent batch returns its original offsets.
   */
  appendAsLeader(records: Buffer, requiredAcks: number): AppendOutcome {
    if (!this.isLeader) throw new PartitionError('NOT_LEADER_OR_FOLLOWER', `broker ${this.localBrokerId} does not lead ${this.topic}-${this.partition}`);
    // Invariant 3: refuse acks=all before appending when the ISR is too small.
    if (requiredAcks === -1 && this.isrValue.length < this.config.minInsyncReplicas) {
      throw new PartitionError('NOT_ENOUGH_REPLICAS', `ISR ${this.isrValue.length} < min.insync.replicas ${this.config.minInsyncReplicas}`);
    }
    const batches = this.validate(records);
    const dup = this.checkProducers(batches);
    if (dup !== null) return dup;

    const now = this.now();
    const logAppendTime = this.config.timestampType === 'LogAppendTime' ? now : -1;
    for (const b of batches) {
      if (logAppendTime >= 0) stampLogAppendTime(records, b.position, now);
      setPartitionLeaderEpoch(records, b.position, this.leaderEpochValue);
    }

    let result;
    try {
      result = this.log.append(records);
    } catch (e) {
      throw new PartitionError('KAFKA_STORAGE_ERROR', `append to ${this.topic}-${this.partition} failed: ${(e as Error).message}`);
    }
    for (const b of batches) {
      if (b.producerId < 0) continue;
      const base = Number(records.readBigInt64BE(b.position + OFF_BASE_OFFSET));
      this.producers.record(b, base, logAppendTime, now);
    }
    this.appendedBytes += result.bytes;
    this.maybeAdvanceHighWatermark();
    this.onAppend(this, result.bytes);
    return {
      firstOffset: result.firstOffset,
      lastOffset: result.lastOffset,
      logAppendTime,
      logStartOffset: this.log.logStartOffset,
      duplicate: false,
    };
  }

  /** Whole batches from `offset`, never at or past HW (invariant 2). Throws OffsetOutOfRangeError. */
  read(offset: number, maxBytes: number, minOneBatch: boolean, pooled = false): FetchData {
    const r = this.log.read(offset, maxBytes, this.hw, minOneBatch, pooled);
    return { chunks: r.chunks, bytes: r.bytes, highWatermark: this.hw, logStartOffset: this.log.logStartOffset, logEndOffset: this.log.logEndOffset };
  }

  deleteRecordsBefore(offset: number): number {
    const target = offset === -1 ? this.hw : offset;
    if (target < 0 || target > this.hw) throw new OffsetOutOfRangeError(offset, this.log.logStartOffset, this.hw);
    if (target > this.log.logStartOffset) this.log.advanceLogStartOffset(target);
    return this.log.logStartOffset;
  }

  private maybeAdvanceHighWatermark(): void {
    // Single broker: no follower LEOs are tracked yet; the replication issue passes them here.
    if (this.isLeader) this.hw = nextHighWatermark(this.hw, this.log.logEndOffset, []);
    else this.hw = Math.min(this.hw, this.log.logEndOffset);
  }

  private validate(records: Buffer): BatchSummary[] {
    let batches: BatchSummary[];
    try {
      batches = validateRecordBatches(records);
    } catch (e) {
      if (e instanceof KafkaError) throw new PartitionError(VALIDATION_KINDS.get(e.code) ?? 'CORRUPT_MESSAGE', e.message);
      throw e;
    }
    if (batches.length === 0) throw new PartitionError('INVALID_RECORD', 'no record batches');
    for (const b of batches) {
      if (b.size > this.config.maxMessageBytes) {
        throw new PartitionError('MESSAGE_TOO_LARGE', `batch of ${b.size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`);
      }
      if (b.control) throw new PartitionError('INVALID_RECORD', 'clients may not produce control batches');
      // No transaction coordinator yet, so no transaction can have been begun.
      if (b.transactional) throw new PartitionError('INVALID_TXN_STATE', 'transactions are not supported yet');
    }
    if (records.length > this.config.segmentBytes) {
      throw new PartitionError('RECORD_LIST_TOO_LARGE', `${records.length} bytes exceed segment.bytes ${this.config.segmentBytes}`);
    }
    return batches;
  }

  /** Sequence checks for every batch; a duplicate answers for the whole append (as Kafka). */
  private checkProducers(batches: readonly BatchSummary[]): AppendOutcome | null {
    let prev: ProducerBatch | null = null;
    for (const b of batches) {
      if (b.producerId < 0) continue;
      // A later batch of the same producer in this append follows the earlier one, not the table.
      if (prev !== null && prev.producerId === b.producerId && prev.producerEpoch === b.producerEpoch) {
        if (b.baseSequence !== prev.baseSequence + prev.lastOffsetDelta + 1) {
          throw new PartitionError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${b.producerId}: batches in one request are not consecutive`);
        }
        prev = b;
        continue;
      }
      const c = this.producers.check(b);
      if (c.kind === 'error') throw new PartitionError(c.error, c.message);
      if (c.kind === 'duplicate') {
        return {
          firstOffset: c.batch.firstOffset,
          lastOffset: c.batch.lastOffset,
          logAppendTime: c.batch.appendTime,
          logStartOffset: this.log.logStartOffset,
          duplicate: true,
        };
      }
      prev = b;
    }
    return null;
  }
}
