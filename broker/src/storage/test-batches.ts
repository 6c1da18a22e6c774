/**
 * Test support: minimal valid RecordBatch v2 buffers (header + opaque "record" bytes + CRC32C)
 * and helpers to split read results back into batches. Storage never decodes records, so the
 * record bytes need not be a real record encoding.
 */
import { crc32c } from '@node-rs/crc32';
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF_ATTRIBUTES,
  OFF_BASE_SEQUENCE,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_FIRST_TIMESTAMP,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  OFF_PARTITION_LEADER_EPOCH,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  OFF_RECORD_COUNT,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
} from '../protocol/records/batch-header.js';

export interface TestBatchSpec {
  readonly records: number;
  readonly payloadBytes: number;
  readonly maxTimestamp: number;
  /** Fill byte for the payload (makes batches distinguishable). */
  readonly fill?: number;
  readonly baseOffset?: number;
}

export function makeBatch(spec: TestBatchSpec): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_SIZE + spec.payloadBytes, spec.fill ?? 0);
  buf.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, OFF_BATCH_LENGTH);
  buf.writeInt32BE(0, OFF_PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, OFF_MAGIC);
  buf.writeInt16BE(0, OFF_ATTRIBUTES);
  buf.writeInt32BE(spec.records - 1, OFF_LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(spec.maxTimestamp), OFF_FIRST_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(spec.maxTimestamp), OFF_MAX_TIMESTAMP);
  buf.writeBigInt64BE(-1n, OFF_PRODUCER_ID);
  buf.writeInt16BE(-1, OFF_PRODUCER_EPOCH);
  buf.writeInt32BE(-1, OFF_BASE_SEQUENCE);
  buf.writeInt32BE(spec.records, OFF_RECORD_COUNT);
  resealBatch(buf, 0);
  return buf;
}

/** Recompute the CRC of the batch at `pos` (after editing its covered bytes). */
export function resealBatch(buf: Buffer, pos: number): void {
  const size = batchSizeAt(buf, pos);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size)), pos + OFF_CRC);
}

export interface SplitBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly bytes: Buffer;
}

/** Split concatenated batches (e.g. read chunks) into individual batches. */
export function splitBatches(chunks: readonly Buffer[]): SplitBatch[] {
  const out: SplitBatch[] = [];
  for (const c of chunks) {
    for (let p = 0; p < c.length; ) {
      const size = batchSizeAt(c, p);
      const base = baseOffsetAt(c, p);
      out.push({ baseOffset: base, lastOffset: base + lastOffsetDeltaAt(c, p), maxTimestamp: maxTimestampAt(c, p), bytes: c.subarray(p, p + size) });
      p += size;
    }
  }
  return out;
}
