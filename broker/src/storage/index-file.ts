/**
 * Shared machinery for the two sparse index files (.index, .timeindex): fixed-size entries,
 * kept in memory while loaded, appended to the file one entry at a time.
 *
 * Indexes of the active segment stay loaded (pinned). Indexes of older segments are loaded
 * lazily on first lookup and dropped again when the shared IndexMemory budget is exceeded,
 * so the broker's index memory stays bounded however many segments exist.
 */
import type { CachedFile } from './fd-cache.js';

export class IndexMemory {
  /** Loaded indexes in LRU order (oldest first) with the bytes each one holds. */
  private readonly loaded = new Map<IndexFile, number>();
  private total = 0;

  constructor(readonly maxBytes: number = 64 * 1024 * 1024) {}

  get usedBytes(): number {
    return this.total;
  }

  /** @internal record that `idx` now holds `bytes` and evict idle indexes if over budget. */
  charge(idx: IndexFile, bytes: number): void {
    const prev = this.loaded.get(idx) ?? 0;
    this.loaded.delete(idx);
    this.loaded.set(idx, bytes);
    this.total += bytes - prev;
    if (this.total <= this.maxBytes) return;
    for (const [other] of this.loaded) {
      if (this.total <= this.maxBytes) break;
      if (other !== idx && !other.pinned) other.unload();
    }
  }

  /** @internal */
  touch(idx: IndexFile): void {
    const bytes = this.loaded.get(idx);
    if (bytes === undefined) return;
    this.loaded.delete(idx);
    this.loaded.set(idx, bytes);
  }

  /** @internal */
  forget(idx: IndexFile): void {
    const bytes = this.loaded.get(idx);
    if (bytes === undefined) return;
    this.loaded.delete(idx);
    this.total -= bytes;
  }
}

const INITIAL_CAPACITY_ENTRIES = 64;

export abstract class IndexFile {
  private buf: Buffer | null = null;
  private n: number;
  /** Active-segment indexes are pinned: always loaded, never evicted. */
  pinned = false;

  protected constructor(
    readonly file: CachedFile,
    protected readonly entrySize: number,
    readonly baseOffset: number,
    private readonly memory: IndexMemory,
    /** Max entries (segment.index.bytes / entrySize). */
    protected maxEntries: number,
    private readonly minEntries = 1,
  ) {
    // A torn trailing partial entry is ignored (and cut off on the next append/truncate).
    this.n = Math.floor(file.size() / entrySize);
  }

  get entries(): number {
    return this.n;
  }

  get isFull(): boolean {
    return this.n >= this.maxEntries;
  }

  get isLoaded(): boolean {
    return this.buf !== null;
  }

  setMaxEntries(max: number): void {
    this.maxEntries = Math.max(this.minEntries, max);
  }

  pin(): void {
    this.pinned = true;
    this.data();
  }

  unpin(): void {
    this.pinned = false;
    // Shrink to the used size so an inactive index holds no slack.
    if (this.buf !== null && this.buf.length > this.n * this.entrySize) {
      this.buf = Buffer.from(this.buf.subarray(0, this.n * this.entrySize));
      this.memory.charge(this, this.buf.length);
    }
  }

  /** The loaded entries (loading from the file if needed); valid bytes are [0, entries*size). */
  protected data(): Buffer {
    if (this.buf !== null) {
      this.memory.touch(this);
      return this.buf;
    }
    const bytes = this.n * this.entrySize;
    const cap = this.pinned ? Math.max(bytes, INITIAL_CAPACITY_ENTRIES * this.entrySize) : bytes;
    const buf = Buffer.alloc(cap);
    if (bytes > 0) this.file.readInto(buf, 0, bytes, 0);
    this.buf = buf;
    this.memory.charge(this, cap);
    return buf;
  }

  /** Drop the in-memory copy (the file stays). */
  unload(): void {
    if (this.buf === null) return;
    this.buf = null;
    this.memory.forget(this);
  }

  /** Reserve room for one more entry and return the buffer to write it into at entries*size. */
  protected slotForAppend(): Buffer {
    let buf = this.data();
    const need = (this.n + 1) * this.entrySize;
    if (buf.length < need) {
      const grown = Buffer.alloc(Math.min(Math.max(need, buf.length * 2), this.maxEntries * this.entrySize));
      buf.copy(grown, 0, 0, this.n * this.entrySize);
      this.buf = buf = grown;
      this.memory.charge(this, grown.length);
    }
    return buf;
  }

  /** Commit the entry written at slot `entries`; `persist` false defers the file write. */
  protected commitAppend(persist: boolean): void {
    const pos = this.n * this.entrySize;
    this.n++;
    if (persist) this.file.write(this.data(), pos, this.entrySize, pos);
  }

  /** Write every loaded entry to the file (after a rebuild with deferred writes). */
  persistAll(): void {
    const buf = this.data();
    const bytes = this.n * this.entrySize;
    this.file.truncate(0);
    if (bytes > 0) this.file.write(buf, 0, bytes, 0);
  }

  /** Keep only the first `count` entries. */
  truncateEntries(count: number): void {
    if (count >= this.n && this.file.size() === this.n * this.entrySize) return;
    this.n = Math.min(count, this.n);
    this.file.truncate(this.n * this.entrySize);
  }

  /** Remove all entries (file and memory). */
  reset(): void {
    this.n = 0;
    this.file.truncate(0);
    if (this.buf !== null && !this.pinned) this.unload();
  }

  /** Binary search: index of the last entry whose key <= target, or -1. */
  protected floorEntry(target: number, keyAt: (buf: Buffer, i: number) => number): number {
    const buf = this.data();
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(buf, mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Read one entry's bytes without loading the whole index (for last-entry lookups). */
  protected entryBytes(i: number): Buffer {
    if (this.buf !== null) return this.buf.subarray(i * this.entrySize, (i + 1) * this.entrySize);
    return this.file.read(i * this.entrySize, this.entrySize);
  }

  sync(): void {
    this.file.sync();
  }

  close(): void {
    this.unload();
    this.file.close();
  }

  delete(): void {
    this.unload();
    this.file.delete();
  }
}
