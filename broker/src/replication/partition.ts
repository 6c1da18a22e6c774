/**
 * One partition replica hosted by this broker. As leader it validates and appends produced
 * batches (headers only: CRC, sizes, idempotent-producer sequence), stamps LogAppendTime and
 * the leader epoch in place, tracks its followers (leader-state.ts) and keeps the high
 * watermark. As follower it appends the leader's batches as they are and truncates divergent
 * history. Role comes from the metadata's leader and leader epoch (applyState).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { OFF_BASE_OFFSET } from '../protocol/records/batch-header.js';
import {
  setPartitionLeaderEpoch,
  stampLogAppendTime,
  validateRecordBatches,
  type BatchSummary,
} from '../protocol/records/batch-validation.js';
import type { PartitionState } from '../cluster/types.js';
import { OffsetOutOfRangeError, type PartitionLog } from '../storage/types.js';
import { CommitTracker, wholeBatches } from './commit-tracker.js';
import { isReplicated } from './high-watermark.js';
import { LeaderState } from './leader-state.js';
import { PartitionError, type PartitionErrorKind } from './errors.js';
import { ProducerStateTable, type ProducerBatch } from './producer-state.js';
import { forEachProducerBatch, scanTail } from './producer-state-loader.js';
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
  /** The replica set (default: the ISR). More than one replica means followers are tracked. */
  readonly replicas?: readonly number[];
  readonly config: AppendConfig;
  /** Called after every append (wakes delayed fetches / produces). */
  readonly onAppend?: (p: Partition, bytes: number) => void;
  /** Called when the HW moves (wakes acks=all produces and consumer long polls). */
  readonly onHighWatermark?: (p: Partition) => void;
  /** False while this broker may not act as a leader (registry session lapsed). */
  readonly canLead?: () => boolean;
  readonly now?: () => number;
}

const VALIDATION_KINDS: ReadonlyMap<number, PartitionErrorKind> = new Map([
  [ErrorCode.CORRUPT_MESSAGE, 'CORRUPT_MESSAGE'],
  [ErrorCode.INVALID_RECORD, 'INVALID_RECORD'],
  [ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, 'UNSUPPORTED_FOR_MESSAGE_FORMAT'],
  [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'UNSUPPORTED_COMPRESSION_TYPE'],
]);

/** acks=all progress of one produce (Kafka's checkEnoughReplicasReachOffset). */
export type AckState = 'pending' | 'completed' | 'NOT_LEADER_OR_FOLLOWER' | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';

export class Partition implements PartitionReplica {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  private readonly localBrokerId: number;
  private leaderIdValue: number;
  private leaderEpochValue: number;
  private isrValue: readonly number[];
  private replicasValue: readonly number[];
  /** Partition epoch of the state last applied (stale metadata after our own ISR write is ignored). */
  private partitionEpochValue = -1;
  private hw: number;
  /** Set while leading: follower LEOs, ISR in flight, epoch start. */
  private leaderState: LeaderState | null = null;
  /** Bytes appended since load; delayed fetches diff it to count new data cheaply. */
  private appendedBytes = 0;
  private readonly commits = new CommitTracker();
  config: AppendConfig;
  producers = new ProducerStateTable();
  private readonly onAppend: (p: Partition, bytes: number) => void;
  private readonly onHighWatermark: (p: Partition) => void;
  private readonly canLead: () => boolean;
  private readonly now: () => number;

  constructor(opts: PartitionOptions) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.log = opts.log;
    this.localBrokerId = opts.localBrokerId;
    this.leaderIdValue = opts.leaderId;
    this.leaderEpochValue = opts.leaderEpoch;
    this.isrValue = opts.isr;
    this.replicasValue = opts.replicas ?? opts.isr;
    this.config = opts.config;
    this.onAppend = opts.onAppend ?? (() => {});
    this.onHighWatermark = opts.onHighWatermark ?? (() => {});
    this.canLead = opts.canLead ?? (() => true);
    this.now = opts.now ?? Date.now;
    // Alone, everything recovered locally is committed. Replicated, only what was committed
    // before the restart (the checkpointed HW) is known to be; the rest waits for the ISR.
    const leo = this.log.logEndOffset;
    this.hw = this.replicasValue.length <= 1 ? leo : Math.min(leo, Math.max(this.log.checkpointedHighWatermark, this.log.logStartOffset));
    this.commits.reset(this.appendedBytes);
    if (this.leaderIdValue === this.localBrokerId) this.startLeading();
  }

  get leaderEpoch(): number {
    return this.leaderEpochValue;
  }
  get leaderId(): number {
    return this.leaderIdValue;
  }
  get isr(): readonly number[] {
    return this.leaderState?.isr ?? this.isrValue;
  }
  get replicas(): readonly number[] {
    return this.replicasValue;
  }
  /** Leader by the metadata, whatever the session (leadership events follow this). */
  get isLeaderRole(): boolean {
    return this.leaderIdValue === this.localBrokerId;
  }
  /** Leader and allowed to act as one: serves produce, consumer fetches, ISR changes. */
  get isLeader(): boolean {
    return this.isLeaderRole && this.canLead();
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
  get bytesCommitted(): number {
    return this.commits.committedBytes;
  }
  /** The leader's follower tracking (null when not leading). */
  get leading(): LeaderState | null {
    return this.leaderState;
  }

  /**
   * Apply a PartitionState from the metadata image. Returns what changed for this broker:
   * a new leader epoch means a new role (the caller starts or stops fetching).
   */
  applyState(state: PartitionState): 'role' | 'isr' | 'none' {
    const newEpoch = state.leaderEpoch !== this.leaderEpochValue || state.leader !== this.leaderIdValue;
    if (!newEpoch && state.partitionEpoch < this.partitionEpochValue) return 'none'; // older than what we wrote
    // Invariant 4: leader epochs only increase; an older state is stale news, never applied.
    if (state.leaderEpoch < this.leaderEpochValue) return 'none';
    this.partitionEpochValue = state.partitionEpoch;
    this.replicasValue = state.replicas;
    this.isrValue = state.isr;
    if (newEpoch) {
      this.leaderIdValue = state.leader;
      this.leaderEpochValue = state.leaderEpoch;
      this.leaderState = null;
      if (this.isLeaderRole) this.startLeading();
      return 'role';
    }
    this.leaderState?.applyMetadata(state.replicas, state.isr, this.now());
    this.maybeAdvanceHighWatermark();
    return 'isr';
  }

  /** Become leader at the current epoch: record the epoch's start and reset follower state. */
  private startLeading(): void {
    const leo = this.log.logEndOffset;
    this.log.epochs.assign(this.leaderEpochValue, leo);
    this.leaderState = new LeaderState(this.localBrokerId, this.leaderEpochValue, leo, this.replicasValue, this.isrValue, this.now());
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
    if (requiredAcks === -1 && this.isr.length < this.config.minInsyncReplicas) {
      throw new PartitionError('NOT_ENOUGH_REPLICAS', `ISR ${this.isr.length} < min.insync.replicas ${this.config.minInsyncReplicas}`);
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
    this.afterAppend(result.lastOffset, result.bytes);
    return {
      firstOffset: result.firstOffset,
      lastOffset: result.lastOffset,
      logAppendTime,
      logStartOffset: this.log.logStartOffset,
      duplicate: false,
    };
  }

  /**
   * A follower copies its leader's batches as they are (offsets, epochs, timestamps). CRCs are
   * checked (invariant 5: never keep data that failed its CRC) and offsets must continue the
   * log exactly (invariant 1); a trailing partial batch is left for the next fetch.
   */
  appendAsFollower(records: Buffer, leaderHighWatermark: number, leaderLogStartOffset: number): number {
    if (this.isLeaderRole) throw new Error(`${this.topic}-${this.partition}: appendAsFollower on the leader`);
    const whole = wholeBatches(records, this.log.logEndOffset);
    let bytes = 0;
    if (whole.length > 0) {
      const result = this.log.appendWithOffsets(whole);
      const now = this.now();
      forEachProducerBatch(whole, (b, base, appendTime) => this.producers.record(b, base, appendTime, now));
      this.afterAppend(result.lastOffset, result.bytes);
      bytes = result.bytes;
    }
    if (leaderLogStartOffset > this.log.logStartOffset) this.log.advanceLogStartOffset(Math.min(leaderLogStartOffset, this.log.logEndOffset));
    // A follower's HW is the leader's, capped by what it holds (it may move back after a leader change).
    const hw = Math.max(Math.min(leaderHighWatermark, this.log.logEndOffset), 0);
    if (hw !== this.hw) this.setHighWatermark(hw);
    return bytes;
  }

  /** Follower truncation (divergent history or a leader's reset); rebuilds producer state. */
  truncateTo(offset: number): void {
    if (this.isLeaderRole) throw new Error(`${this.topic}-${this.partition}: a leader never truncates`);
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    this.afterTruncate();
  }

  truncateFullyAndStartAt(offset: number): void {
    if (this.isLeaderRole) throw new Error(`${this.topic}-${this.partition}: a leader never truncates`);
    this.log.truncateFullyAndStartAt(offset);
    this.afterTruncate();
  }

  private afterTruncate(): void {
    this.producers = new ProducerStateTable();
    this.loadProducerState();
    if (this.hw > this.log.logEndOffset) this.hw = this.log.logEndOffset;
    if (this.hw < this.log.logStartOffset) this.hw = this.log.logStartOffset;
    this.commits.reset(this.appendedBytes);
  }

  /** Whole batches from `offset`, never at or past HW (invariant 2). Throws OffsetOutOfRangeError. */
  read(offset: number, maxBytes: number, minOneBatch: boolean, pooled = false): FetchData {
    const r = this.log.read(offset, maxBytes, this.hw, minOneBatch, pooled);
    return { chunks: r.chunks, bytes: r.bytes, highWatermark: this.hw, logStartOffset: this.log.logStartOffset, logEndOffset: this.log.logEndOffset };
  }

  /** A follower's fetch: everything up to the LEO, not just the HW. */
  readForFollower(offset: number, maxBytes: number, minOneBatch: boolean, pooled = false): FetchData {
    const r = this.log.read(offset, maxBytes, this.log.logEndOffset, minOneBatch, pooled);
    return { chunks: r.chunks, bytes: r.bytes, highWatermark: this.hw, logStartOffset: this.log.logStartOffset, logEndOffset: this.log.logEndOffset };
  }

  /**
   * The leader learns follower `replicaId`'s LEO from its fetch offset. Returns false when
   * that broker is not a replica. May move the HW; the caller then proposes ISR changes.
   */
  recordFollowerFetch(replicaId: number, fetchOffset: number): boolean {
    const ls = this.leaderState;
    if (ls === null) return false;
    if (!ls.recordFetch(replicaId, fetchOffset, this.log.logEndOffset, this.now())) return false;
    this.maybeAdvanceHighWatermark();
    return true;
  }

  /** acks=all: has the HW passed `lastOffset`, and with enough replicas in the ISR? */
  ackState(lastOffset: number): AckState {
    if (!this.isLeaderRole) return 'NOT_LEADER_OR_FOLLOWER';
    if (!isReplicated(this.hw, lastOffset)) return 'pending';
    return this.isr.length < this.config.minInsyncReplicas ? 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' : 'completed';
  }

  deleteRecordsBefore(offset: number): number {
    const target = offset === -1 ? this.hw : offset;
    if (target < 0 || target > this.hw) throw new OffsetOutOfRangeError(offset, this.log.logStartOffset, this.hw);
    if (target > this.log.logStartOffset) this.log.advanceLogStartOffset(target);
    return this.log.logStartOffset;
  }

  private afterAppend(lastOffset: number, bytes: number): void {
    this.appendedBytes += bytes;
    this.commits.appended(lastOffset + 1, this.appendedBytes);
    this.maybeAdvanceHighWatermark();
    this.onAppend(this, bytes);
  }

  /** Leader: HW from the ISR's LEOs (never down). Follower: only ever capped at the LEO. */
  maybeAdvanceHighWatermark(): void {
    const ls = this.leaderState;
    const next = ls !== null ? ls.highWatermark(this.hw, this.log.logEndOffset) : Math.min(this.hw, this.log.logEndOffset);
    if (next !== this.hw) this.setHighWatermark(next);
  }

  private setHighWatermark(next: number): void {
    // Invariant 2, asserted: a leader's HW never moves back, and never past its LEO.
    if (this.leaderState !== null && next < this.hw) throw new Error(`${this.topic}-${this.partition}: leader HW would decrease ${this.hw} -> ${next}`);
    if (next > this.log.logEndOffset) throw new Error(`${this.topic}-${this.partition}: HW ${next} beyond LEO ${this.log.logEndOffset}`);
    this.hw = next;
    this.commits.committed(next);
    this.onHighWatermark(this);
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
