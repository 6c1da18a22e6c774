/**
 * RecordBatch v2 (magic 2) header layout. Everything the broker needs on the produce and
 * fetch paths is in these 61 bytes; records themselves are never decoded there.
 *
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 | crc uint32
 *   | attributes int16 | lastOffsetDelta int32 | firstTimestamp int64 | maxTimestamp int64
 *   | producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records...
 *
 * batchLength counts the bytes after the batchLength field; CRC32C covers attributes..end.
 */
import { crc32c } from '@node-rs/crc32';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's coverage starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;

export const OFF_BASE_OFFSET = 0;
export const OFF_BATCH_LENGTH = 8;
export const OFF_PARTITION_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_FIRST_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORD_COUNT = 57;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

/** Total size on disk/wire of the batch starting at `pos` (header fields included). */
export function batchSizeAt(buf: Buffer, pos: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + OFF_BATCH_LENGTH);
}

export function baseOffsetAt(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64BE(pos + OFF_BASE_OFFSET));
}

export function lastOffsetDeltaAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
}

export function maxTimestampAt(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64BE(pos + OFF_MAX_TIMESTAMP));
}

export function writeBaseOffset(buf: Buffer, pos: number, offset: number): void {
  buf.writeBigInt64BE(BigInt(offset), pos + OFF_BASE_OFFSET);
}

/** CRC32C of attributes..end as stored vs computed. `size` is batchSizeAt(buf, pos). */
export function batchCrcValid(buf: Buffer, pos: number, size: number): boolean {
  const stored = buf.readUInt32BE(pos + OFF_CRC);
  return crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size)) === stored;
}

// ---- additional header accessors (appended; the contract above is unchanged) ----

export const MAGIC_V2 = 2;
/** Smallest legal batchLength: the header after the batchLength field, with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

function int64At(buf: Buffer, off: number): number {
  return buf.readInt32BE(off) * 4294967296 + buf.readUInt32BE(off + 4);
}

export function partitionLeaderEpochAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + OFF_PARTITION_LEADER_EPOCH);
}

export function magicAt(buf: Buffer, pos: number): number {
  return buf.readInt8(pos + OFF_MAGIC);
}

export function attributesAt(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + OFF_ATTRIBUTES);
}

export function firstTimestampAt(buf: Buffer, pos: number): number {
  return int64At(buf, pos + OFF_FIRST_TIMESTAMP);
}

export function producerIdAt(buf: Buffer, pos: number): number {
  return int64At(buf, pos + OFF_PRODUCER_ID);
}

export function producerEpochAt(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + OFF_PRODUCER_EPOCH);
}

export function baseSequenceAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + OFF_BASE_SEQUENCE);
}

export function recordCountAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + OFF_RECORD_COUNT);
}

/** Offset of the last record in the batch (baseOffset + lastOffsetDelta). */
export function lastOffsetAt(buf: Buffer, pos: number): number {
  return baseOffsetAt(buf, pos) + lastOffsetDeltaAt(buf, pos);
}

/** Not covered by the CRC, so no CRC update is needed. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + OFF_PARTITION_LEADER_EPOCH);
}

/** Recomputes and stores the CRC32C of attributes..end. `size` is batchSizeAt(buf, pos). */
export function writeBatchCrc(buf: Buffer, pos: number, size: number): void {
  buf.writeUInt32BE(crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size)), pos + OFF_CRC);
}

/**
 * LogAppendTime: like Kafka's DefaultRecordBatch.setMaxTimestamp, set the timestamp-type
 * bit and maxTimestamp and recompute the CRC. firstTimestamp and the record deltas are left
 * alone: readers take every record's timestamp from maxTimestamp for such batches.
 */
export function stampLogAppendTime(buf: Buffer, pos: number, nowMs: number): void {
  const attrs = buf.readInt16BE(pos + OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  buf.writeInt16BE(attrs, pos + OFF_ATTRIBUTES);
  buf.writeBigInt64BE(BigInt(nowMs), pos + OFF_MAX_TIMESTAMP);
  writeBatchCrc(buf, pos, batchSizeAt(buf, pos));
}
