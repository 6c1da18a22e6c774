/**
 * Produce-path validation of a `records` blob: whole v2 batches, valid CRC32C, consistent
 * header. Reads headers only; records are never decoded here.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  LOG_OVERHEAD,
  MAGIC_V2,
  MIN_BATCH_LENGTH,
  OFF_BATCH_LENGTH,
  OFF_MAGIC,
  attributesAt,
  baseSequenceAt,
  batchCrcValid,
  firstTimestampAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
  producerEpochAt,
  producerIdAt,
  recordCountAt,
} from './batch-header.js';

export interface BatchSummary {
  /** Byte position of the batch in the validated buffer. */
  readonly position: number;
  /** Total bytes, header included. */
  readonly size: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
  readonly compression: number;
  readonly logAppendTime: boolean;
  readonly transactional: boolean;
  readonly control: boolean;
}

function corrupt(msg: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, msg);
}

/**
 * Validates every batch in `buf` and returns their summaries. Throws KafkaError:
 * UNSUPPORTED_FOR_MESSAGE_FORMAT for magic != 2, CORRUPT_MESSAGE for truncation, trailing
 * bytes, bad lengths or CRC, or inconsistent counts.
 */
export interface ValidateOptions {
  /**
   * Require lastOffsetDelta + 1 == recordCount (true for produced batches). Pass false for
   * replicated data: compaction leaves batches with gaps.
   */
  readonly requireDenseOffsets?: boolean;
}

export function validateRecordBatches(buf: Buffer, options: ValidateOptions = {}): BatchSummary[] {
  const dense = options.requireDenseOffsets ?? true;
  const out: BatchSummary[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const avail = buf.length - pos;
    // magic sits at byte 16 in every message format, so v0/v1 are recognised before sizing.
    if (avail < OFF_MAGIC + 1) throw corrupt(`truncated batch header at ${pos}`);
    const magic = buf.readInt8(pos + OFF_MAGIC);
    if (magic !== MAGIC_V2) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format magic ${magic} is not supported`);
    }
    const batchLength = buf.readInt32BE(pos + OFF_BATCH_LENGTH);
    if (batchLength < MIN_BATCH_LENGTH) throw corrupt(`batch length ${batchLength} at ${pos} is too small`);
    const size = LOG_OVERHEAD + batchLength;
    if (size > avail) throw corrupt(`batch at ${pos} needs ${size} bytes, ${avail} available`);
    if (!batchCrcValid(buf, pos, size)) throw corrupt(`CRC mismatch in batch at ${pos}`);
    const attributes = attributesAt(buf, pos);
    const compression = attributes & ATTR_COMPRESSION_MASK;
    if (compression > 4) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression type ${compression} is unknown`);
    }
    const lastOffsetDelta = lastOffsetDeltaAt(buf, pos);
    const recordCount = recordCountAt(buf, pos);
    if (dense ? recordCount < 1 || lastOffsetDelta + 1 !== recordCount : recordCount < 0 || lastOffsetDelta < -1) {
      throw corrupt(`batch at ${pos}: recordCount ${recordCount} does not match lastOffsetDelta ${lastOffsetDelta}`);
    }
    out.push({
      position: pos,
      size,
      lastOffsetDelta,
      firstTimestamp: firstTimestampAt(buf, pos),
      maxTimestamp: maxTimestampAt(buf, pos),
      producerId: producerIdAt(buf, pos),
      producerEpoch: producerEpochAt(buf, pos),
      baseSequence: baseSequenceAt(buf, pos),
      recordCount,
      compression,
      logAppendTime: (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0,
      transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
      control: (attributes & ATTR_CONTROL) !== 0,
    });
    pos += size;
  }
  return out;
}

export { setPartitionLeaderEpoch, stampLogAppendTime } from './batch-header.js';
