/**
 * Idempotent-producer state of one partition, as Kafka's ProducerStateManager keeps it:
 * per producer id, the current epoch and the metadata of its last 5 appended batches
 * (clients keep at most 5 requests in flight, so a retry is always among them).
 *
 * Pure and synchronous: `check` says what to do with an incoming batch, `record` is called
 * after the batch was appended (or replayed from the log at load). Kafka semantics (2.5+,
 * KIP-360):
 *   - same epoch and a batch with the same first/last sequence is remembered -> duplicate:
 *     answer with the ORIGINAL offsets, append nothing;
 *   - epoch lower than the known one -> INVALID_PRODUCER_EPOCH;
 *   - a new (higher) epoch of a known producer must start at sequence 0;
 *   - same epoch: the sequence must follow the last one (wrapping at Int32 max);
 *   - an unknown producer (never seen, or its state was lost to retention/DeleteRecords)
 *     may start at any sequence: Kafka stopped answering UNKNOWN_PRODUCER_ID there.
 */

export const MAX_BATCHES_PER_PRODUCER = 5;
const INT32_MAX = 2147483647;

export interface ProducerBatch {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** Number of records minus one (RecordBatch lastOffsetDelta). */
  readonly lastOffsetDelta: number;
}

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** Timestamp reported back for a duplicate (LogAppendTime, or -1 for CreateTime). */
  readonly appendTime: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  epoch: number;
  /** Oldest first, at most MAX_BATCHES_PER_PRODUCER. */
  batches: BatchMetadata[];
  /** Wall-clock time of the last append, for expiry. */
  lastUpdateMs: number;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | { readonly kind: 'error'; readonly error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH'; readonly message: string };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from Int32 max to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function lastSequenceOf(b: ProducerBatch): number {
  return incrementSequence(b.baseSequence, b.lastOffsetDelta);
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

const APPEND: SequenceCheck = { kind: 'append' };

export class ProducerStateTable {
  private readonly entries = new Map<number, ProducerEntry>();

  get size(): number {
    return this.entries.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.entries.get(producerId);
  }

  /** What to do with a batch from a client. Batches without a producer id always append. */
  check(b: ProducerBatch): SequenceCheck {
    if (b.producerId < 0) return APPEND;
    const e = this.entries.get(b.producerId);
    if (e === undefined) return APPEND;
    const lastSeq = lastSequenceOf(b);
    if (b.producerEpoch === e.epoch) {
      for (const m of e.batches) {
        if (m.firstSeq === b.baseSequence && m.lastSeq === lastSeq) return { kind: 'duplicate', batch: m };
      }
    }
    if (b.producerEpoch < e.epoch) {
      return {
        kind: 'error',
        error: 'INVALID_PRODUCER_EPOCH',
        message: `producer ${b.producerId} epoch ${b.producerEpoch} is older than the current epoch ${e.epoch}`,
      };
    }
    if (b.producerEpoch > e.epoch) {
      if (b.baseSequence !== 0) {
        return {
          kind: 'error',
          error: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
          message: `producer ${b.producerId} new epoch ${b.producerEpoch} must start at sequence 0, got ${b.baseSequence}`,
        };
      }
      return APPEND;
    }
    const last = e.batches[e.batches.length - 1];
    // Same epoch but no remembered batch: nothing to compare with, accept (Kafka does too).
    if (last === undefined || inSequence(last.lastSeq, b.baseSequence)) return APPEND;
    return {
      kind: 'error',
      error: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      message: `producer ${b.producerId} epoch ${b.producerEpoch}: expected sequence ${incrementSequence(last.lastSeq, 1)}, got ${b.baseSequence}`,
    };
  }

  /**
   * Remember an appended batch (from a client after `check` said append, or replayed from
   * the log at load, where no check applies). A new epoch forgets the old epoch's batches.
   */
  record(b: ProducerBatch, firstOffset: number, appendTime: number, nowMs: number): void {
    if (b.producerId < 0) return;
    let e = this.entries.get(b.producerId);
    if (e === undefined) {
      e = { producerId: b.producerId, epoch: b.producerEpoch, batches: [], lastUpdateMs: nowMs };
      this.entries.set(b.producerId, e);
    } else if (b.producerEpoch !== e.epoch) {
      e.epoch = b.producerEpoch;
      e.batches = [];
    }
    e.batches.push({
      firstSeq: b.baseSequence,
      lastSeq: lastSequenceOf(b),
      firstOffset,
      lastOffset: firstOffset + b.lastOffsetDelta,
      appendTime,
    });
    if (e.batches.length > MAX_BATCHES_PER_PRODUCER) e.batches.shift();
    e.lastUpdateMs = nowMs;
  }

  /** Forget producers idle since before `cutoffMs` (Kafka's producer.id.expiration.ms). */
  expireIdle(cutoffMs: number): number {
    let n = 0;
    for (const [id, e] of this.entries) {
      if (e.lastUpdateMs < cutoffMs) {
        this.entries.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Forget everything (after truncation below the remembered batches). */
  clear(): void {
    this.entries.clear();
  }
}
