/**
 * Test support: a trivially correct in-memory model of a partition log (list of batches),
 * used by the property tests as the oracle for reads, timestamps and truncation.
 */
import type { SplitBatch } from './test-batches.js';

export interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly bytes: Buffer;
}

export function expectedRead(
  batches: readonly ModelBatch[],
  logEnd: number,
  offset: number,
  maxBytes: number,
  maxOffset: number,
  minOneBatch: boolean,
): ModelBatch[] {
  const limit = Math.min(maxOffset, logEnd);
  if (offset >= limit) return [];
  const out: ModelBatch[] = [];
  let total = 0;
  for (const b of batches) {
    if (b.lastOffset < offset) continue;
    if (b.lastOffset >= limit) break;
    if (total + b.bytes.length > maxBytes) {
      if (out.length === 0 && minOneBatch) out.push(b);
      break;
    }
    out.push(b);
    total += b.bytes.length;
  }
  return out;
}

/** First batch at/after the log start whose maxTimestamp >= ts. */
export function expectedByTimestamp(batches: readonly ModelBatch[], logStart: number, ts: number): ModelBatch | null {
  return batches.find((b) => b.lastOffset >= logStart && b.maxTimestamp >= ts) ?? null;
}

export function expectedMaxTimestamp(batches: readonly ModelBatch[], logStart: number): ModelBatch | null {
  let best: ModelBatch | null = null;
  for (const b of batches) if (b.lastOffset >= logStart && (best === null || b.maxTimestamp > best.maxTimestamp)) best = b;
  return best;
}

export function sameBatches(actual: readonly SplitBatch[], expected: readonly ModelBatch[]): boolean {
  return actual.length === expected.length && actual.every((a, i) => a.bytes.equals((expected[i] as ModelBatch).bytes));
}
