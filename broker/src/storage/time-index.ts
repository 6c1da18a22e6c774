/**
 * Sparse time index (.timeindex), Kafka's layout: 12-byte entries of
 * timestamp (int64, the segment's max timestamp so far) -> relative offset (int32, the first
 * offset of the batch that reached it). Entries are strictly increasing in both fields: one is
 * appended only when the max timestamp so far grew (at index intervals and when the segment
 * becomes inactive), so every batch before an entry's batch has a smaller maxTimestamp.
 */
import type { CachedFile } from './fd-cache.js';
import { IndexFile, type IndexMemory } from './index-file.js';

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimeOffset {
  readonly timestamp: number;
  readonly offset: number;
}

const tsAt = (buf: Buffer, i: number): number => Number(buf.readBigInt64BE(i * TIME_INDEX_ENTRY_SIZE));
const relAt = (buf: Buffer, i: number): number => buf.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);

export class TimeIndex extends IndexFile {
  constructor(file: CachedFile, baseOffset: number, memory: IndexMemory, maxIndexBytes: number) {
    super(file, TIME_INDEX_ENTRY_SIZE, baseOffset, memory, Math.max(2, Math.floor(maxIndexBytes / TIME_INDEX_ENTRY_SIZE)), 2);
  }

  /** The last entry with timestamp <= `timestamp`, or null. */
  lookup(timestamp: number): TimeOffset | null {
    const i = this.floorEntry(timestamp, tsAt);
    if (i < 0) return null;
    const buf = this.data();
    return { timestamp: tsAt(buf, i), offset: this.baseOffset + relAt(buf, i) };
  }

  lastEntry(): TimeOffset | null {
    if (this.entries === 0) return null;
    const e = this.entryBytes(this.entries - 1);
    return { timestamp: Number(e.readBigInt64BE(0)), offset: this.baseOffset + e.readInt32BE(8) };
  }

  /**
   * As Kafka, the last slot is kept for the entry written when the segment becomes inactive
   * (`final`), so every inactive segment's last entry is its max timestamp.
   */
  override get isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  /** Append when `timestamp` exceeds the last entry's; false if skipped or full. */
  maybeAppend(timestamp: number, offset: number, persist = true, final = false): boolean {
    if (final ? this.entries >= this.maxEntries : this.isFull) return false;
    const last = this.lastEntry();
    if (last !== null && timestamp <= last.timestamp) return false;
    const buf = this.slotForAppend();
    const at = this.entries * TIME_INDEX_ENTRY_SIZE;
    buf.writeBigInt64BE(BigInt(timestamp), at);
    buf.writeInt32BE(offset - this.baseOffset, at + 8);
    this.commitAppend(persist);
    return true;
  }

  /** Drop entries pointing at offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    const buf = this.data();
    let keep = this.entries;
    // Entry offsets increase, so trailing entries are the ones to drop.
    while (keep > 0 && this.baseOffset + relAt(buf, keep - 1) >= offset) keep--;
    this.truncateEntries(keep);
  }

  sane(nextOffset: number): boolean {
    if (this.file.size() % TIME_INDEX_ENTRY_SIZE !== 0) return false;
    const last = this.lastEntry();
    return last === null || (last.offset >= this.baseOffset && last.offset < Math.max(nextOffset, this.baseOffset + 1));
  }
}
