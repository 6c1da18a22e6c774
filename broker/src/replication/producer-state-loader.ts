/**
 * Rebuilds idempotent-producer state at load by walking batch headers near the log tail
 * (no record decoding, no snapshot files). Producers whose last batch lies further back are
 * forgotten, which Kafka 2.5+ clients handle: an unknown producer may resume at any sequence.
 */
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_SIZE,
  attributesAt,
  baseOffsetAt,
  baseSequenceAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
  producerEpochAt,
  producerIdAt,
} from '../protocol/records/batch-header.js';
import type { PartitionLog } from '../storage/types.js';
import type { ProducerBatch } from './producer-state.js';

/** How far back (in offsets) the tail scan starts. */
export const PRODUCER_SCAN_OFFSETS = 100_000;
const READ_BYTES = 4 * 1024 * 1024;

/** Calls `onBatch` for each batch with a producer id, oldest first; returns batches seen. */
export function scanTail(
  log: PartitionLog,
  onBatch: (b: ProducerBatch, baseOffset: number, appendTime: number) => void,
  scanOffsets = PRODUCER_SCAN_OFFSETS,
): number {
  const end = log.logEndOffset;
  let offset = Math.max(log.logStartOffset, end - scanOffsets);
  let seen = 0;
  while (offset < end) {
    const r = log.read(offset, READ_BYTES, end, true);
    if (r.bytes === 0) break;
    let next = offset;
    for (const chunk of r.chunks) {
      const n = forEachProducerBatch(chunk, (b, base, appendTime) => onBatch(b, base, appendTime));
      seen += n.batches;
      next = Math.max(next, n.nextOffset);
    }
    if (next <= offset) break; // no progress: stop rather than loop
    offset = next;
  }
  return seen;
}

/**
 * Walks whole batch headers in `chunk` (a trailing partial batch is ignored), calling
 * `onBatch` for those with a producer id. Header reads only, no record decoding.
 */
export function forEachProducerBatch(
  chunk: Buffer,
  onBatch: (b: ProducerBatch, baseOffset: number, appendTime: number) => void,
): { batches: number; nextOffset: number } {
  let pos = 0;
  let batches = 0;
  let nextOffset = -1;
  while (pos + BATCH_HEADER_SIZE <= chunk.length) {
    const size = batchSizeAt(chunk, pos);
    if (size < BATCH_HEADER_SIZE || pos + size > chunk.length) break;
    const base = baseOffsetAt(chunk, pos);
    const lastOffsetDelta = lastOffsetDeltaAt(chunk, pos);
    const producerId = producerIdAt(chunk, pos);
    if (producerId >= 0) {
      const appendTime = (attributesAt(chunk, pos) & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? maxTimestampAt(chunk, pos) : -1;
      onBatch({ producerId, producerEpoch: producerEpochAt(chunk, pos), baseSequence: baseSequenceAt(chunk, pos), lastOffsetDelta }, base, appendTime);
    }
    batches++;
    nextOffset = Math.max(nextOffset, base + lastOffsetDelta + 1);
    pos += size;
  }
  return { batches, nextOffset };
}
