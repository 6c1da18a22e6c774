/**
 * An in-memory __consumer_offsets for tests: it stores the exact batch bytes the coordinator
 * writes (base offsets patched as the real log patches them) and replays them on load, so a
 * reload test proves the real record encoding round-trips. It is a test double only because
 * the broker's Partition/ReplicaManager adapter is wired by the server later; nothing here is
 * used in production.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { OffsetsPartitionLog, OffsetsTopicPort } from './types.js';

const OFF_LAST_OFFSET_DELTA = 23;

export class InMemoryOffsetsLog implements OffsetsPartitionLog {
  readonly batches: Buffer[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  /** Next appends fail with these codes, in order. */
  readonly failures: number[] = [];
  /**
   * Per-append acknowledgement delays, in call order: the batch is written at once (offsets
   * assigned in call order) but the append resolves only when its promise does, as a
   * replicated acks=all append may.
   */
  readonly ackDelays: Promise<void>[] = [];
  /** When set, reads wait for this promise (to observe a partition while it loads). */
  readGate: Promise<void> | null = null;

  get highWatermark(): number {
    return this.logEndOffset;
  }

  async append(batch: Buffer): Promise<number> {
    const failure = this.failures.shift();
    if (failure !== undefined) throw new KafkaError(failure);
    const copy = Buffer.from(batch);
    const base = this.logEndOffset;
    copy.writeBigInt64BE(BigInt(base), 0);
    this.batches.push(copy);
    this.logEndOffset = base + copy.readInt32BE(OFF_LAST_OFFSET_DELTA) + 1;
    const delay = this.ackDelays.shift();
    if (delay !== undefined) await delay;
    return base;
  }

  async *readFrom(offset: number): AsyncIterable<Buffer> {
    if (this.readGate !== null) await this.readGate;
    for (const b of this.batches) {
      const base = Number(b.readBigInt64BE(0));
      const last = base + b.readInt32BE(OFF_LAST_OFFSET_DELTA);
      if (last >= offset) yield b;
    }
  }
}

export class InMemoryOffsetsTopic implements OffsetsTopicPort {
  readonly logs = new Map<number, InMemoryOffsetsLog>();
  /** Partitions this broker leads; all by default. */
  readonly led = new Set<number>();
  created = false;

  constructor(readonly numPartitions = 50) {
    for (let p = 0; p < numPartitions; p++) this.led.add(p);
  }

  isLocalLeader(partition: number): boolean {
    return this.created && this.led.has(partition);
  }

  partitionLog(partition: number): InMemoryOffsetsLog | undefined {
    if (!this.created || partition < 0 || partition >= this.numPartitions) return undefined;
    let log = this.logs.get(partition);
    if (log === undefined) {
      log = new InMemoryOffsetsLog();
      this.logs.set(partition, log);
    }
    return log;
  }

  log(partition: number): InMemoryOffsetsLog {
    const l = this.partitionLog(partition);
    if (l === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return l;
  }

  async ensureTopic(): Promise<void> {
    this.created = true;
  }
}
