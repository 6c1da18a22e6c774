/**
 * The leader-epoch checkpoint of one partition (Kafka's LeaderEpochFileCache, KIP-101/279):
 * an ordered list of (epoch, startOffset) — the first offset written under each leader epoch.
 * A leader answers OffsetForLeaderEpoch and Fetch divergence checks from it; a follower uses
 * its own copy to find where its history diverges from the leader's and truncates there.
 *
 * File `leader-epoch-checkpoint` in the partition directory, Kafka's text layout:
 * a version line (0), a count line, then one "epoch startOffset" line per entry. Written
 * atomically (temp file, fdatasync, rename) on every change; changes happen only when the
 * epoch changes or the log is truncated, never per append.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
const VERSION = 0;
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];

  /** `dir` null keeps the cache in memory only (tests). */
  constructor(
    private readonly dir: string | null,
    initial: readonly EpochEntry[] = [],
  ) {
    this.entries = [...initial];
    assertSorted(this.entries);
  }

  static load(dir: string): LeaderEpochCache {
    return new LeaderEpochCache(dir, readEntries(dir));
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The newest epoch, or -1 when none is recorded. */
  get latestEpoch(): number {
    return this.entries[this.entries.length - 1]?.epoch ?? UNDEFINED_EPOCH;
  }

  /** Start offset of the newest epoch, or -1. */
  get latestStartOffset(): number {
    return this.entries[this.entries.length - 1]?.startOffset ?? UNDEFINED_EPOCH_OFFSET;
  }

  /**
   * Record that `epoch` begins at `startOffset`. A no-op for the current epoch; an older epoch
   * or offset than the newest entry means the entries at or after it are stale (a follower
   * copying a leader after truncation), so they are replaced, as Kafka's assign does.
   */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0 || startOffset < 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.epoch === epoch) return;
    if (last !== undefined && epoch > last.epoch && startOffset >= last.startOffset) {
      this.entries.push({ epoch, startOffset });
    } else {
      this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
      this.entries.push({ epoch, startOffset });
    }
    this.persist();
  }

  /**
   * OffsetForLeaderEpoch semantics (Kafka's LeaderEpochFileCache.endOffsetFor): for the
   * current epoch the log end offset; for an older one the start offset of the next higher
   * epoch, paired with the largest known epoch <= the requested one; unknown (-1, -1) when the
   * requested epoch is newer than every entry or undefined.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    let floor: EpochEntry | undefined;
    let higher: EpochEntry | undefined;
    for (const e of this.entries) {
      if (e.epoch <= requestedEpoch) floor = e;
      else {
        higher = e;
        break;
      }
    }
    if (higher === undefined) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    return { epoch: floor === undefined ? requestedEpoch : floor.epoch, endOffset: higher.startOffset };
  }

  /** The log was truncated to `endOffset`: entries starting at or after it are gone. */
  truncateFromEnd(endOffset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.persist();
  }

  /**
   * The log start moved to `startOffset`: earlier entries are dropped, except that the epoch
   * covering the new start keeps an entry, moved up to it.
   */
  truncateFromStart(startOffset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && (this.entries[i + 1] as EpochEntry).startOffset <= startOffset) i++;
    const first = this.entries[i];
    if (first === undefined || (i === 0 && first.startOffset >= startOffset)) return;
    const kept = this.entries.slice(i);
    if (first.startOffset < startOffset) kept[0] = { epoch: first.epoch, startOffset };
    this.entries = kept;
    this.persist();
  }

  /** The log restarted empty (truncateFullyAndStartAt). */
  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.persist();
  }

  private persist(): void {
    assertSorted(this.entries);
    if (this.dir === null) return;
    const file = path.join(this.dir, LEADER_EPOCH_FILE);
    const tmp = file + '.tmp';
    const body = `${VERSION}\n${this.entries.length}\n${this.entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, body);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }
}

/** Entries strictly increasing in both epoch and start offset (the cache's invariant). */
function assertSorted(entries: readonly EpochEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1] as EpochEntry;
    const b = entries[i] as EpochEntry;
    if (!(b.epoch > a.epoch && b.startOffset >= a.startOffset)) {
      throw new Error(`leader-epoch cache out of order: (${a.epoch}, ${a.startOffset}) then (${b.epoch}, ${b.startOffset})`);
    }
  }
}

/** A missing or garbled file yields no entries (the caller then knows no epochs: safe, just less precise). */
function readEntries(dir: string): EpochEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, LEADER_EPOCH_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  const count = Number(lines[1]);
  if (lines[0] !== String(VERSION) || !Number.isSafeInteger(count) || count < 0 || lines.length < count + 2) return [];
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const [e, o] = (lines[i + 2] ?? '').trim().split(' ').map(Number);
    if (e === undefined || o === undefined || !Number.isSafeInteger(e) || !Number.isSafeInteger(o) || e < 0 || o < 0) return [];
    const prev = out[out.length - 1];
    if (prev !== undefined && !(e > prev.epoch && o >= prev.startOffset)) return [];
    out.push({ epoch: e, startOffset: o });
  }
  return out;
}
