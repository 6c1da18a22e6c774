/**
 * Sparse offset index (.index), Kafka's layout: 8-byte entries of
 * relative offset (int32, the indexed batch's LAST offset - segment base) -> file position
 * (int32) of that batch. One entry per index.interval.bytes of log. A lookup returns a
 * position at or before the batch holding the target, from which batch headers are scanned.
 */
import type { CachedFile } from './fd-cache.js';
import { IndexFile, type IndexMemory } from './index-file.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

const relAt = (buf: Buffer, i: number): number => buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);

export class OffsetIndex extends IndexFile {
  constructor(file: CachedFile, baseOffset: number, memory: IndexMemory, maxIndexBytes: number) {
    super(file, OFFSET_INDEX_ENTRY_SIZE, baseOffset, memory, Math.max(1, Math.floor(maxIndexBytes / OFFSET_INDEX_ENTRY_SIZE)));
  }

  /** Position of the last indexed batch whose last offset <= `offset` (0 when none). */
  lookup(offset: number): OffsetPosition {
    const i = this.floorEntry(offset - this.baseOffset, relAt);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    const buf = this.data();
    return {
      offset: this.baseOffset + buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE),
      position: buf.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4),
    };
  }

  /** Append (lastOffset -> position); false when the index is full. */
  append(lastOffset: number, position: number, persist = true): boolean {
    if (this.isFull) return false;
    const buf = this.slotForAppend();
    const at = this.entries * OFFSET_INDEX_ENTRY_SIZE;
    buf.writeInt32BE(lastOffset - this.baseOffset, at);
    buf.writeInt32BE(position, at + 4);
    this.commitAppend(persist);
    return true;
  }

  lastEntry(): OffsetPosition | null {
    if (this.entries === 0) return null;
    const e = this.entryBytes(this.entries - 1);
    return { offset: this.baseOffset + e.readInt32BE(0), position: e.readInt32BE(4) };
  }

  /** Drop entries for batches at or after `offset` (a batch boundary being cut). */
  truncateToOffset(offset: number): void {
    // Entries hold batch last offsets: keep those < offset.
    const keep = this.floorEntry(offset - this.baseOffset - 1, relAt) + 1;
    this.truncateEntries(keep);
  }

  /** Cheap consistency check used when trusting an index after a clean shutdown. */
  sane(logSize: number): boolean {
    if (this.file.size() % OFFSET_INDEX_ENTRY_SIZE !== 0) return false;
    const last = this.lastEntry();
    return last === null || (last.offset >= this.baseOffset && last.position >= 0 && last.position < logSize);
  }
}
