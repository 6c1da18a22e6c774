/**
 * Log: one partition's ordered list of segments behind the PartitionLog contract.
 * Opening (and crash recovery) lives in open-log.ts; this file is the steady-state engine.
 */
import * as fs from 'node:fs';
import type { Logger } from 'pino';
import {
  BATCH_HEADER_SIZE,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt,
  maxTimestampAt,
  partitionLeaderEpochAt,
  writeBaseOffset,
} from '../protocol/records/batch-header.js';
import { parseHeader } from './batch-scan.js';
import { findBatchByTimestamp, findMaxTimestampBatch, readBatches } from './log-read.js';
import { writeCheckpoint } from './checkpoint.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { ReadPositionCache } from './read-cache.js';
import { LogSegment, type StorageResources } from './segment.js';
import {
  type AppendResult,
  type LogConfig,
  OffsetOutOfRangeError,
  type PartitionLog,
  type ReadResult,
} from './types.js';

const INT32_MAX = 0x7fffffff;
const EMPTY: ReadResult = Object.freeze({ chunks: [], bytes: 0 }) as ReadResult;

/** A produce/replication buffer that is not a sequence of whole, sane v2 batches. */
export class InvalidBatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidBatchError';
  }
}

export class LogClosedError extends Error {
  constructor(dir: string) {
    super(`log is closed: ${dir}`);
    this.name = 'LogClosedError';
  }
}

export class Log implements PartitionLog {
  private lso: number;
  private leo: number;
  private recoveryPoint: number;
  private totalBytes: number;
  /** Segments written since the last flush. */
  private readonly dirty = new Set<LogSegment>();
  private dirDirty = false;
  private readonly readCache = new ReadPositionCache<LogSegment>();
  private closed = false;
  /** Bumped by every truncation so an in-flight async flush does not move the recovery point. */
  private truncations = 0;
  /** Clock for segment.ms; tests may replace it. */
  now: () => number = Date.now;
  /** The leader-epoch checkpoint, truncated along with the log. */
  readonly epochs: LeaderEpochCache;
  /** Last high watermark handed to checkpointHighWatermark (written with the checkpoint). */
  private hwCheckpoint: number;

  constructor(
    readonly dir: string,
    public config: LogConfig,
    private readonly res: StorageResources,
    private readonly segments: LogSegment[],
    logStartOffset: number,
    recoveryPoint: number,
    private readonly logger?: Logger,
    highWatermark?: number,
  ) {
    const active = segments[segments.length - 1];
    if (active === undefined) throw new Error('a log needs at least one segment');
    this.leo = active.size === 0 ? active.baseOffset : active.scanEnd().nextOffset;
    this.lso = logStartOffset;
    this.recoveryPoint = Math.min(recoveryPoint, this.leo);
    this.totalBytes = segments.reduce((n, s) => n + s.size, 0);
    this.hwCheckpoint = Math.min(highWatermark ?? -1, this.leo);
    // Recovery may have cut the tail, retention the head: the epoch entries follow the log.
    this.epochs = LeaderEpochCache.load(dir);
    this.epochs.truncateFromEnd(this.leo);
    this.epochs.truncateFromStart(this.lso);
  }

  /** The high watermark recorded at the last checkpoint (-1 if none); a lower bound after a crash. */
  get checkpointedHighWatermark(): number {
    return this.hwCheckpoint;
  }

  /**
   * Remember the partition's high watermark so a restart does not start from zero (Kafka's
   * replication-offset-checkpoint). Written at once only when `persist`; otherwise with the
   * next checkpoint write. A stale value is safe: it is only ever lower.
   */
  checkpointHighWatermark(hw: number, persist: boolean): void {
    const v = Math.min(hw, this.leo);
    if (v === this.hwCheckpoint) return;
    this.hwCheckpoint = v;
    if (persist && !this.closed) this.writeCheckpoint();
  }

  get logStartOffset(): number {
    return this.lso;
  }
  get logEndOffset(): number {
    return this.leo;
  }
  get sizeInBytes(): number {
    return this.totalBytes;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Offset below which everything was fdatasync'd. */
  get recoveryPointOffset(): number {
    return this.recoveryPoint;
  }
  /** Base offsets of all segments, oldest first (tests, tooling). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1] as LogSegment;
  }

  private checkOpen(): void {
    if (this.closed) throw new LogClosedError(this.dir);
  }

  append(batches: Buffer): AppendResult {
    return this.appendInternal(batches, true);
  }

  appendWithOffsets(batches: Buffer): AppendResult {
    return this.appendInternal(batches, false);
  }

  private appendInternal(buf: Buffer, assign: boolean): AppendResult {
    this.checkOpen();
    const len = buf.length;
    // Pass 1 (headers only): framing checks, then assign or verify dense offsets.
    let pos = 0;
    let next = this.leo;
    let count = 0;
    let maxTs = -1;
    // New leader epochs begin in this append at most a few times: (epoch, first offset).
    let epochStarts: { epoch: number; offset: number }[] | null = null;
    let lastEpoch = this.epochs.latestEpoch;
    while (pos < len) {
      if (len - pos < BATCH_HEADER_SIZE) throw new InvalidBatchError(`truncated batch header at ${pos}`);
      const size = batchSizeAt(buf, pos);
      const delta = lastOffsetDeltaAt(buf, pos);
      if (size < BATCH_HEADER_SIZE || pos + size > len) throw new InvalidBatchError(`bad batch length at ${pos}`);
      if (delta < 0) throw new InvalidBatchError(`negative lastOffsetDelta at ${pos}`);
      if (assign) writeBaseOffset(buf, pos, next);
      else if (baseOffsetAt(buf, pos) !== next) {
        throw new InvalidBatchError(`batch base offset ${baseOffsetAt(buf, pos)} where ${next} expected`);
      }
      const epoch = partitionLeaderEpochAt(buf, pos);
      if (epoch > lastEpoch) {
        (epochStarts ??= []).push({ epoch, offset: next });
        lastEpoch = epoch;
      }
      next += delta + 1;
      const ts = maxTimestampAt(buf, pos);
      if (ts > maxTs) maxTs = ts;
      count++;
      pos += size;
    }
    const firstOffset = this.leo;
    if (count === 0) return { firstOffset, lastOffset: firstOffset - 1, maxTimestamp: -1, batchCount: 0, bytes: 0 };

    this.maybeRoll(len, next - 1);
    const seg = this.active;
    const start = seg.size;
    seg.appendBytes(buf); // the single write of this append
    if (seg.rollingBaseMs < 0) seg.rollingBaseMs = this.now();
    // Pass 2: index entries, after the data they point at is written.
    const interval = this.config.indexIntervalBytes;
    for (pos = 0; pos < len; ) {
      const b = parseHeader(buf, pos, start + pos);
      seg.indexBatch(b, interval);
      pos += b.size;
    }
    this.leo = next;
    this.totalBytes += len;
    this.dirty.add(seg);
    if (epochStarts !== null) for (const e of epochStarts) this.epochs.assign(e.epoch, e.offset);
    return { firstOffset, lastOffset: next - 1, maxTimestamp: maxTs, batchCount: count, bytes: len };
  }

  private maybeRoll(len: number, lastOffset: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const c = this.config;
    if (
      seg.size + len > c.segmentBytes ||
      seg.size + len > INT32_MAX || // index positions are int32
      (seg.rollingBaseMs >= 0 && this.now() - seg.rollingBaseMs > c.segmentMs) ||
      seg.index.isFull ||
      seg.timeIndex.isFull ||
      lastOffset - seg.baseOffset > INT32_MAX
    ) {
      this.roll();
    }
  }

  /** Start a new active segment at the log end offset. Requires a non-empty active segment. */
  roll(): void {
    this.checkOpen();
    const old = this.active;
    if (old.size === 0) return;
    old.onBecomeInactive();
    this.dirty.add(old);
    const seg = LogSegment.open(this.dir, this.leo, this.res, this.config.segmentIndexBytes, true);
    seg.onBecomeActive();
    this.segments.push(seg);
    this.dirDirty = true;
  }

  read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean, pooled = false): ReadResult {
    this.checkOpen();
    if (offset < this.lso || offset > this.leo) throw new OffsetOutOfRangeError(offset, this.lso, this.leo);
    const limit = Math.min(maxOffset, this.leo);
    if (offset >= limit) return EMPTY;
    const start = this.locate(offset);
    if (start === null) return EMPTY;
    const r = readBatches(this.segments, start.index, start.position, limit, maxBytes, minOneBatch, pooled);
    if (r.nextOffset >= 0) this.readCache.put(offset, r.nextOffset, r.segment, r.position);
    return { chunks: r.chunks, bytes: r.bytes };
  }

  private locate(offset: number): { index: number; position: number } | null {
    const hit = this.readCache.get(offset);
    if (hit !== null && !hit.segment.deleted && hit.position <= hit.segment.size) {
      const index = this.segmentIndexFor(hit.segment.baseOffset);
      if (this.segments[index] === hit.segment) return { index, position: hit.position };
    }
    for (let index = this.segmentIndexFor(offset); index < this.segments.length; index++) {
      const b = (this.segments[index] as LogSegment).findBatch(offset);
      if (b !== null) return { index, position: b.position };
    }
    return null;
  }

  /** Index of the last segment whose base offset <= offset (0 if none). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as LogSegment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  findBatchByTimestamp(timestamp: number): { baseOffset: number; batch: Buffer } | null {
    this.checkOpen();
    return findBatchByTimestamp(this.segments, this.lso, timestamp);
  }

  findMaxTimestampBatch(): { baseOffset: number; batch: Buffer } | null {
    this.checkOpen();
    return findMaxTimestampBatch(this.segments, this.lso);
  }

  advanceLogStartOffset(offset: number): void {
    this.checkOpen();
    if (offset <= this.lso) return;
    if (offset > this.leo) throw new OffsetOutOfRangeError(offset, this.lso, this.leo);
    this.lso = offset;
    this.epochs.truncateFromStart(offset);
    this.writeCheckpoint();
    let n = 0;
    while (n + 1 < this.segments.length && (this.segments[n + 1] as LogSegment).baseOffset <= offset) n++;
    this.deleteOldest(n);
  }

  /**
   * Kafka's retention: a prefix of segments past retention.ms (by largest timestamp) or
   * beyond retention.bytes is deleted. If that is every segment, the active one is rolled
   * first so the log keeps an (empty) active segment at the end offset. `upperBoundOffset`
   * (the high watermark) keeps segments holding unreplicated data.
   */
  enforceRetention(nowMs: number, upperBoundOffset: number = Number.POSITIVE_INFINITY): number {
    this.checkOpen();
    const segs = this.segments;
    const eligible = (i: number): boolean => {
      const s = segs[i] as LogSegment;
      const last = i === segs.length - 1;
      if (last && s.size === 0) return false;
      return (last ? this.leo : (segs[i + 1] as LogSegment).baseOffset) <= upperBoundOffset;
    };
    let byTime = 0;
    if (this.config.retentionMs >= 0) {
      while (byTime < segs.length && eligible(byTime) && nowMs - (segs[byTime] as LogSegment).largestTimestamp() > this.config.retentionMs) byTime++;
    }
    let bySize = 0;
    if (this.config.retentionBytes >= 0) {
      let excess = this.totalBytes - this.config.retentionBytes;
      while (bySize < segs.length && eligible(bySize) && excess - (segs[bySize] as LogSegment).size >= 0) {
        excess -= (segs[bySize] as LogSegment).size;
        bySize++;
      }
    }
    const n = Math.max(byTime, bySize);
    if (n === 0) return 0;
    if (n === segs.length) this.roll();
    this.deleteOldest(n);
    return n;
  }

  /** Delete the `n` oldest segments (never the active one) and move the log start up. */
  private deleteOldest(n: number): void {
    const count = Math.min(n, this.segments.length - 1);
    if (count <= 0) return;
    const gone = this.segments.splice(0, count);
    const first = this.segments[0] as LogSegment;
    if (first.baseOffset > this.lso) {
      this.lso = first.baseOffset;
      this.epochs.truncateFromStart(this.lso);
      this.writeCheckpoint();
    }
    for (const s of gone) {
      this.totalBytes -= s.size;
      this.dirty.delete(s);
      s.delete();
    }
    this.logger?.debug({ dir: this.dir, deleted: count, logStartOffset: this.lso }, 'deleted old segments');
  }

  truncateTo(offset: number): void {
    this.checkOpen();
    if (offset >= this.leo) return;
    this.truncations++;
    this.readCache.clear();
    const first = this.segments[0] as LogSegment;
    if (offset < first.baseOffset || offset < 0) {
      this.truncateFullyAndStartAt(Math.max(0, offset));
      return;
    }
    let active = this.active;
    while (this.segments.length > 1 && active.baseOffset >= offset) {
      this.segments.pop();
      this.totalBytes -= active.size;
      this.dirty.delete(active);
      active.delete();
      active = this.active;
    }
    const before = active.size;
    const end = active.truncateTo(offset) ?? offset;
    this.totalBytes -= before - active.size;
    active.onBecomeActive();
    if (active.rollingBaseMs < 0 && active.size > 0) active.rollingBaseMs = this.now();
    this.leo = end;
    this.dirty.add(active);
    this.lso = Math.min(this.lso, end);
    this.recoveryPoint = Math.min(this.recoveryPoint, end);
    this.hwCheckpoint = Math.min(this.hwCheckpoint, end);
    this.epochs.truncateFromEnd(end);
    this.writeCheckpoint();
  }

  /** Drop every segment and restart the log empty at `offset` (which becomes the log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.checkOpen();
    this.truncations++;
    this.readCache.clear();
    for (const s of this.segments.splice(0)) s.delete();
    const seg = LogSegment.open(this.dir, offset, this.res, this.config.segmentIndexBytes, true);
    seg.onBecomeActive();
    this.segments.push(seg);
    this.dirty.clear();
    this.dirDirty = true;
    this.totalBytes = 0;
    this.leo = offset;
    this.lso = offset;
    this.recoveryPoint = offset;
    this.hwCheckpoint = Math.min(this.hwCheckpoint, offset);
    this.epochs.clear();
    this.writeCheckpoint();
  }

  flush(): void {
    this.checkOpen();
    for (const s of this.dirty) s.flush();
    this.dirty.clear();
    if (this.dirDirty) {
      syncDir(this.dir);
      this.dirDirty = false;
    }
    if (this.recoveryPoint !== this.leo) {
      this.recoveryPoint = this.leo;
      this.writeCheckpoint();
    }
  }

  /** True when rolled segments were written since the last flush. */
  get hasUnflushedRolledSegments(): boolean {
    for (const s of this.dirty) if (s !== this.active) return true;
    return false;
  }

  /**
   * Kafka flushes a segment soon after it is rolled (off the request path) and then moves
   * the recovery point to the new active segment, so crash recovery only rescans the active
   * segment. This does the same with fdatasync on the thread pool.
   */
  async flushRolledSegments(): Promise<void> {
    if (this.closed) return;
    const active = this.active;
    const upTo = active.baseOffset;
    const generation = this.truncations;
    const rolled = [...this.dirty].filter((s) => s !== active);
    if (rolled.length === 0 && !this.dirDirty) return;
    // They stay in `dirty` until synced, so a close() meanwhile still syncs them itself.
    const dirWasDirty = this.dirDirty;
    await Promise.all(rolled.filter((s) => !s.deleted).map((s) => s.flushAsync()));
    if (this.closed) return;
    for (const s of rolled) this.dirty.delete(s);
    if (dirWasDirty && this.dirDirty) {
      syncDir(this.dir);
      this.dirDirty = false;
    }
    // After a truncation meanwhile, offsets below upTo may hold new, unflushed data.
    if (!this.closed && generation === this.truncations && upTo > this.recoveryPoint) {
      this.recoveryPoint = upTo;
      this.writeCheckpoint();
    }
  }

  close(): void {
    if (this.closed) return;
    // As Kafka on close: record the active segment's final max timestamp in its time index.
    this.active.onBecomeInactive();
    this.dirty.add(this.active);
    this.flush();
    this.writeCheckpoint();
    this.closed = true;
    for (const s of this.segments) s.close();
    this.readCache.clear();
  }

  deleteAll(): void {
    if (!this.closed) {
      for (const s of this.segments) s.close();
      this.closed = true;
    }
    this.readCache.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private writeCheckpoint(): void {
    writeCheckpoint(this.dir, { logStartOffset: this.lso, recoveryPoint: this.recoveryPoint, highWatermark: this.hwCheckpoint });
  }
}

/** fsync a directory so file creations/renames in it are durable. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
