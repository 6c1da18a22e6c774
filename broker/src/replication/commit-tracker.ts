/**
 * Small helpers of the replica data path, header-level only (no per-record work).
 *
 * CommitTracker: how many appended bytes lie below the HW, so a consumer's long poll wakes
 * when data becomes *readable* (the HW passed it), not merely appended. It keeps
 * (endOffset, cumulative bytes) per append until the HW passes it; bounded: past the cap the
 * oldest entry is dropped, which only makes the count lag until the next entry commits.
 *
 * wholeBatches: the part of a leader's Fetch data a follower may append.
 */
import { BATCH_HEADER_SIZE, MAGIC_V2, baseOffsetAt, batchCrcValid, batchSizeAt, lastOffsetAt, magicAt } from '../protocol/records/batch-header.js';
import { PartitionError } from './errors.js';

const MAX_PENDING = 8192;

export class CommitTracker {
  /** Flattened pairs: endOffset, cumulativeBytes. */
  private pending: number[] = [];
  private head = 0;
  private committedValue = 0;

  get committedBytes(): number {
    return this.committedValue;
  }

  /** An append ending before `endOffset` brought the appended total to `cumulativeBytes`. */
  appended(endOffset: number, cumulativeBytes: number): void {
    if (this.pending.length - this.head >= MAX_PENDING * 2) this.head += 2;
    this.pending.push(endOffset, cumulativeBytes);
  }

  committed(highWatermark: number): void {
    const p = this.pending;
    while (this.head < p.length && (p[this.head] as number) <= highWatermark) {
      this.committedValue = p[this.head + 1] as number;
      this.head += 2;
    }
    if (this.head === p.length) {
      this.pending = [];
      this.head = 0;
    } else if (this.head > 4096) {
      this.pending = p.slice(this.head);
      this.head = 0;
    }
  }

  /** After a truncation: forget pending appends; count everything as committed. */
  reset(cumulativeBytes: number): void {
    this.pending = [];
    this.head = 0;
    this.committedValue = cumulativeBytes;
  }
}

/**
 * The whole v2 batches of `records` a follower at `logEndOffset` should append: batches it
 * already has are skipped, a trailing partial batch (the leader's size limit) is dropped, a
 * bad CRC or a gap fails the whole fetch (invariants 1 and 5).
 */
export function wholeBatches(records: Buffer, logEndOffset: number): Buffer {
  let pos = 0;
  let start = -1;
  let next = logEndOffset;
  while (pos + BATCH_HEADER_SIZE <= records.length) {
    const size = batchSizeAt(records, pos);
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) break;
    const base = baseOffsetAt(records, pos);
    const last = lastOffsetAt(records, pos);
    if (last < logEndOffset && start < 0) {
      pos += size; // already held (the leader returned the batch containing our fetch offset)
      continue;
    }
    if (magicAt(records, pos) !== MAGIC_V2) throw new PartitionError('CORRUPT_MESSAGE', `batch at offset ${base} is not v2`);
    if (base !== next) throw new PartitionError('CORRUPT_MESSAGE', `follower expected offset ${next}, leader sent batch at ${base}`);
    if (!batchCrcValid(records, pos, size)) throw new PartitionError('CORRUPT_MESSAGE', `CRC mismatch in batch at offset ${base}`);
    if (start < 0) start = pos;
    next = last + 1;
    pos += size;
  }
  return start < 0 ? records.subarray(0, 0) : records.subarray(start, pos);
}
