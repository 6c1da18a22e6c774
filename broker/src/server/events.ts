/**
 * What the server layer reports as it works, for metrics. server/ must not import http/
 * (see http/README.md), so the contract lives here and broker.ts hands in the implementation
 * (http/metrics.ts's BrokerMetrics satisfies it structurally). Every method is called on the
 * request path, so implementations must be cheap and must not throw.
 */
import { LOG_OVERHEAD, OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA } from '../protocol/records/batch-header.js';

export interface BrokerEvents {
  onConnectionOpened(): void;
  onConnectionClosed(): void;
  /**
   * One request done. `errorCodes`: error code -> occurrences in the response (top level and
   * per topic/partition, 0 included, as Kafka's ErrorsPerSec). The map is reused by the caller
   * after this returns: read it, do not keep it.
   */
  observeRequest(apiName: string, errorCodes: ReadonlyMap<number, number>, queueSeconds: number, totalSeconds: number): void;
  /** Batches appended by a produce (duplicates of idempotent retries excluded). */
  onBytesIn(topic: string, bytes: number, records: number): void;
  /** Batches returned by a fetch (consumers and followers alike). */
  onBytesOut(topic: string, bytes: number, records: number): void;
}

/**
 * Count every numeric `errorCode` property in a response object into `into`. Walks plain
 * objects and arrays only; record data (Buffers, or arrays of Buffer chunks) is skipped
 * without being looked into, so the cost is per topic/partition, never per record.
 */
export function countErrorCodes(value: unknown, into: Map<number, number>): void {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return;
  if (Array.isArray(value)) {
    // Record chunk lists (Fetch) are arrays of Buffers: nothing inside carries an error code.
    if (value.length === 0 || Buffer.isBuffer(value[0])) return;
    for (const v of value) countErrorCodes(v, into);
    return;
  }
  // for-in rather than Object.entries: no array per object on large Fetch/Metadata responses.
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const v = obj[k];
    if (k === 'errorCode' && typeof v === 'number') into.set(v, (into.get(v) ?? 0) + 1);
    else if (typeof v === 'object' && v !== null) countErrorCodes(v, into);
  }
}

/** Scratch for the rare batch header split across two chunks. */
const headerScratch = Buffer.alloc(OFF_LAST_OFFSET_DELTA + 4);

/**
 * Records in a run of whole stored batches (a fetch read), from the batch headers only:
 * each batch spans lastOffsetDelta + 1 offsets. Chunks are treated as one byte stream, so a
 * header straddling two chunks is still read correctly; a truncated tail is ignored.
 */
export function recordsInBatches(chunks: readonly Buffer[]): number {
  let records = 0;
  let ci = 0;
  let off = 0; // position of the next batch inside chunks[ci]
  while (ci < chunks.length) {
    const chunk = chunks[ci] as Buffer;
    if (off >= chunk.length) {
      off -= chunk.length;
      ci++;
      continue;
    }
    let header: Buffer = chunk;
    let at = off;
    if (off + headerScratch.length > chunk.length) {
      if (!gather(chunks, ci, off, headerScratch)) break;
      header = headerScratch;
      at = 0;
    }
    records += header.readInt32BE(at + OFF_LAST_OFFSET_DELTA) + 1;
    off += LOG_OVERHEAD + header.readInt32BE(at + OFF_BATCH_LENGTH);
  }
  return records;
}

/** Copy `into.length` bytes starting at (chunk ci, offset off) across chunk boundaries. */
function gather(chunks: readonly Buffer[], ci: number, off: number, into: Buffer): boolean {
  let filled = 0;
  while (filled < into.length && ci < chunks.length) {
    const c = chunks[ci] as Buffer;
    filled += c.copy(into, filled, off, Math.min(c.length, off + into.length - filled));
    ci++;
    off = 0;
  }
  return filled === into.length;
}
