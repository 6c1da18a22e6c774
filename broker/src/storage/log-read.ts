/**
 * The fetch read loop: whole batches from a starting position onward, across segments,
 * bounded by maxBytes and by the high watermark. Read buffers are sized by the request's
 * remaining budget (never by the segment), and one buffer normally serves many batches.
 */
import { BATCH_HEADER_SIZE, baseOffsetAt, batchSizeAt, lastOffsetDeltaAt } from '../protocol/records/batch-header.js';
import { HEADER_PEEK } from './batch-scan.js';
import { borrowReadBuffer, returnReadBuffer } from './read-buffers.js';
import type { LogSegment } from './segment.js';

/** `length` bytes at `position`, into a pooled buffer (see read-buffers.ts) when asked. */
function readAt(seg: LogSegment, position: number, length: number, pooled: boolean): Buffer {
  if (!pooled) return seg.read(position, length);
  const buf = borrowReadBuffer(length);
  const n = seg.log.readInto(buf, 0, length, position);
  return n === length ? buf : buf.subarray(0, n);
}

export interface BatchesRead {
  readonly chunks: Buffer[];
  readonly bytes: number;
  /** Offset after the last batch returned (-1 if none) and where that is in the log. */
  readonly nextOffset: number;
  readonly segment: LogSegment;
  readonly position: number;
}

/**
 * Batches starting at segments[index] position `position` (a batch boundary), stopping before
 * the first batch whose last offset is >= `limit` or that does not fit in `maxBytes` (unless
 * it is the first one and `minOneBatch`).
 */
export function readBatches(
  segments: readonly LogSegment[],
  index: number,
  position: number,
  limit: number,
  maxBytes: number,
  minOneBatch: boolean,
  pooled = false,
): BatchesRead {
  const chunks: Buffer[] = [];
  let total = 0;
  let nextOffset = -1;
  let i = index;
  let pos = position;
  let seg = segments[i] as LogSegment;
  for (;;) {
    if (pos >= seg.size) {
      const following = segments[i + 1];
      if (following === undefined) break;
      seg = following;
      i++;
      pos = 0;
      continue;
    }
    const budget = maxBytes - total;
    if (total > 0 && budget < BATCH_HEADER_SIZE) break;
    const buf = readAt(seg, pos, Math.min(Math.max(budget, HEADER_PEEK), seg.size - pos), pooled);
    let p = 0;
    let stop = false;
    while (p + HEADER_PEEK <= buf.length) {
      const size = batchSizeAt(buf, p);
      const last = baseOffsetAt(buf, p) + lastOffsetDeltaAt(buf, p);
      if (last >= limit || size < BATCH_HEADER_SIZE) {
        stop = true;
        break;
      }
      if (p + size > buf.length) {
        // Does not fit the budget; Kafka still returns a first batch larger than maxBytes.
        if (total === 0 && p === 0 && minOneBatch && pos + size <= seg.size) {
          chunks.push(readAt(seg, pos, size, pooled));
          total += size;
          pos += size;
          nextOffset = last + 1;
        }
        stop = true;
        break;
      }
      p += size;
      nextOffset = last + 1;
    }
    if (p > 0) {
      chunks.push(p === buf.length ? buf : buf.subarray(0, p));
      total += p;
      pos += p;
    } else if (pooled) {
      returnReadBuffer(buf); // nothing of it escaped
    }
    // A partial batch left in the buffer means the budget ran out (or a torn tail): stop.
    if (stop || p < buf.length) break;
  }
  return { chunks, bytes: total, nextOffset, segment: seg, position: pos };
}

export interface FoundBatch {
  readonly baseOffset: number;
  readonly batch: Buffer;
}

/** First batch (at or after the log start) whose maxTimestamp >= timestamp. */
export function findBatchByTimestamp(segments: readonly LogSegment[], logStart: number, timestamp: number): FoundBatch | null {
  for (const seg of segments) {
    // Segment max timestamps are known without I/O; only one segment is searched (via its time index).
    if (seg.maxTimestamp < timestamp) continue;
    const b = seg.findBatchByTimestamp(timestamp, logStart);
    if (b !== null) return { baseOffset: b.baseOffset, batch: seg.read(b.position, b.size) };
  }
  return null;
}

/** The first batch holding the largest maxTimestamp at or after the log start. */
export function findMaxTimestampBatch(segments: readonly LogSegment[], logStart: number): FoundBatch | null {
  let best: { seg: LogSegment; ts: number; offset: number } | null = null;
  for (const seg of segments) {
    let ts = seg.maxTimestamp;
    let offset = seg.offsetOfMaxTimestamp;
    if (seg.size === 0 || offset < 0) continue;
    if (offset < logStart) {
      // The max lies below the log start (DeleteRecords): rescan what is still visible.
      const b = seg.scanMaxTimestamp(logStart);
      if (b === null) continue;
      ts = b.maxTimestamp;
      offset = b.baseOffset;
    }
    if (best === null || ts > best.ts) best = { seg, ts, offset };
  }
  if (best === null) return null;
  const b = best.seg.findBatch(best.offset);
  return b === null ? null : { baseOffset: b.baseOffset, batch: best.seg.read(b.position, b.size) };
}
