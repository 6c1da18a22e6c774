/**
 * Walking RecordBatch v2 headers inside a segment file without decoding records.
 *
 * HeaderScanner reads the file in small blocks and parses only the header fields storage needs
 * (offsets, size, maxTimestamp); it is used from an index position to the batch holding an
 * offset or timestamp. validateBatches reads in large chunks and checks each batch's length,
 * magic, offsets and CRC32C (recovery, invariant 5).
 */
import {
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  OFF_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  baseOffsetAt,
  batchCrcValid,
} from '../protocol/records/batch-header.js';
import type { CachedFile } from './fd-cache.js';

/** Header bytes needed to read baseOffset, size, lastOffsetDelta and maxTimestamp. */
export const HEADER_PEEK = OFF_MAX_TIMESTAMP + 8;

export interface BatchInfo {
  /** File position of the batch. */
  readonly position: number;
  /** Whole batch size in bytes (LOG_OVERHEAD + batchLength). */
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/** Parse the header at buf[pos]; caller guarantees HEADER_PEEK bytes are present. */
export function parseHeader(buf: Buffer, pos: number, filePosition: number): BatchInfo {
  const baseOffset = baseOffsetAt(buf, pos);
  return {
    position: filePosition,
    size: LOG_OVERHEAD + buf.readInt32BE(pos + OFF_BATCH_LENGTH),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA),
    maxTimestamp: Number(buf.readBigInt64BE(pos + OFF_MAX_TIMESTAMP)),
  };
}

export class HeaderScanner {
  private block: Buffer;
  private blockPos = 0;
  private blockLen = 0;
  private pos: number;
  /** True when scanning stopped at an incomplete or impossible header before `end`. */
  torn = false;

  constructor(
    private readonly file: CachedFile,
    start: number,
    private readonly end: number,
    blockSize = 8192,
  ) {
    this.pos = start;
    this.block = Buffer.allocUnsafe(Math.max(blockSize, HEADER_PEEK));
  }

  get position(): number {
    return this.pos;
  }

  next(): BatchInfo | null {
    if (this.pos >= this.end) return null;
    if (this.end - this.pos < HEADER_PEEK) {
      this.torn = true;
      return null;
    }
    let at = this.pos - this.blockPos;
    if (at < 0 || at + HEADER_PEEK > this.blockLen) {
      const len = Math.min(this.block.length, this.end - this.pos);
      this.blockLen = this.file.readInto(this.block, 0, len, this.pos);
      this.blockPos = this.pos;
      at = 0;
      if (this.blockLen < HEADER_PEEK) {
        this.torn = true;
        return null;
      }
    }
    const info = parseHeader(this.block, at, this.pos);
    if (info.size < BATCH_HEADER_SIZE || this.pos + info.size > this.end || info.lastOffset < info.baseOffset) {
      this.torn = true;
      return null;
    }
    this.pos += info.size;
    return info;
  }
}

export interface ValidationResult {
  /** Bytes from `start` holding only valid batches. */
  readonly validEnd: number;
  /** Offset after the last valid batch. */
  readonly nextOffset: number;
  /** Why scanning stopped before `end` (null when everything was valid). */
  readonly problem: string | null;
}

const CHUNK = 1024 * 1024;

/**
 * Check every batch in [start, end): length in bounds, magic 2, offsets dense from
 * `expectedOffset`, CRC32C. Stops at the first bad batch. `onBatch` sees each valid batch.
 */
export function validateBatches(
  file: CachedFile,
  start: number,
  end: number,
  expectedOffset: number,
  onBatch: (b: BatchInfo) => void,
): ValidationResult {
  let pos = start;
  let next = expectedOffset;
  const chunk = Buffer.allocUnsafe(CHUNK);
  let chunkPos = 0;
  let chunkLen = 0;
  const fail = (problem: string): ValidationResult => ({ validEnd: pos, nextOffset: next, problem });
  while (pos < end) {
    if (end - pos < BATCH_HEADER_SIZE) return fail(`torn header at ${pos}`);
    let at = pos - chunkPos;
    if (pos < chunkPos || at + BATCH_HEADER_SIZE > chunkLen) {
      chunkLen = file.readInto(chunk, 0, Math.min(CHUNK, end - pos), pos);
      chunkPos = pos;
      at = 0;
      if (chunkLen < BATCH_HEADER_SIZE) return fail(`short read at ${pos}`);
    }
    const info = parseHeader(chunk, at, pos);
    if (info.size < BATCH_HEADER_SIZE || pos + info.size > end) return fail(`bad batch length at ${pos}`);
    if (chunk.readInt8(at + OFF_MAGIC) !== 2) return fail(`bad magic at ${pos}`);
    if (info.baseOffset !== next || info.lastOffset < info.baseOffset) return fail(`offset ${info.baseOffset} where ${next} expected at ${pos}`);
    let batchBuf: Buffer = chunk;
    let batchAt = at;
    if (at + info.size > chunkLen) {
      // Larger than what is buffered: read this batch on its own.
      batchBuf = file.read(pos, info.size);
      batchAt = 0;
      if (batchBuf.length < info.size) return fail(`short batch at ${pos}`);
    }
    if (!batchCrcValid(batchBuf, batchAt, info.size)) return fail(`CRC mismatch at ${pos}`);
    onBatch(info);
    pos += info.size;
    next = info.lastOffset + 1;
  }
  return { validEnd: pos, nextOffset: next, problem: null };
}
