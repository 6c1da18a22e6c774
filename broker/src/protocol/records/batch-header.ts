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
