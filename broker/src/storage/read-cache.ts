/**
 * Remembers where the last few reads ended (next offset -> segment and file position), so a
 * consumer or follower fetching sequentially resumes there without an index lookup and
 * header scan. A handful of fixed slots: bounded memory, O(1) lookups, and enough for a
 * leader serving a few followers and consumers of the same partition.
 */
const SLOTS = 4;

export interface ReadPosition<S> {
  readonly offset: number;
  readonly segment: S;
  readonly position: number;
}

export class ReadPositionCache<S> {
  private readonly slots: (ReadPosition<S> | null)[] = new Array<ReadPosition<S> | null>(SLOTS).fill(null);
  private nextSlot = 0;

  get(offset: number): ReadPosition<S> | null {
    for (const s of this.slots) if (s !== null && s.offset === offset) return s;
    return null;
  }

  /** Record that a read starting at `from` ended at `offset` (segment, position). */
  put(from: number, offset: number, segment: S, position: number): void {
    const entry = { offset, segment, position };
    // A reader that advanced replaces its own previous slot rather than a neighbour's.
    let i = this.slots.findIndex((s) => s !== null && (s.offset === from || s.offset === offset));
    if (i < 0) i = this.slots.indexOf(null);
    if (i < 0) {
      i = this.nextSlot;
      this.nextSlot = (this.nextSlot + 1) % SLOTS;
    }
    this.slots[i] = entry;
  }

  clear(): void {
    this.slots.fill(null);
  }
}
