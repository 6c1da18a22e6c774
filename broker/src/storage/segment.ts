/**
 * One log segment: `<base>.log` (batches exactly as stored and served), its sparse `.index`
 * and `.timeindex`. Segments know positions and batch headers; offsets across segments,
 * rolling and retention belong to the Log.
 */
import * as path from 'node:path';
import { type BatchInfo, HeaderScanner, validateBatches, type ValidationResult } from './batch-scan.js';
import type { CachedFile, FileHandleCache } from './fd-cache.js';
import type { IndexMemory } from './index-file.js';
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.js';
import { TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

/** Kafka's file naming: base offset zero-padded to 20 digits. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Resources shared by every log of a LogManager. */
export interface StorageResources {
  readonly fds: FileHandleCache;
  readonly indexMemory: IndexMemory;
}

export class LogSegment {
  /** Bytes in the .log file. */
  size: number;
  /** Largest batch maxTimestamp so far (-1 if none) and the base offset of its first batch. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Wall-clock time of the first append while active (segment.ms); -1 until then. */
  rollingBaseMs = -1;
  private bytesSinceLastIndexEntry = 0;
  deleted = false;

  private constructor(
    readonly baseOffset: number,
    readonly log: CachedFile,
    readonly index: OffsetIndex,
    readonly timeIndex: TimeIndex,
  ) {
    this.size = log.size();
  }

  /** Open a segment's files; with `fresh`, existing files at that base are emptied. */
  static open(dir: string, baseOffset: number, res: StorageResources, segmentIndexBytes: number, fresh: boolean): LogSegment {
    const file = (suffix: string): CachedFile => {
      const f = res.fds.file(path.join(dir, segmentFileName(baseOffset, suffix)), true);
      if (fresh) f.truncate(0);
      return f;
    };
    const log = file(LOG_SUFFIX);
    const index = new OffsetIndex(file(INDEX_SUFFIX), baseOffset, res.indexMemory, segmentIndexBytes);
    const timeIndex = new TimeIndex(file(TIME_INDEX_SUFFIX), baseOffset, res.indexMemory, segmentIndexBytes);
    return new LogSegment(baseOffset, log, index, timeIndex);
  }

  setIndexLimits(segmentIndexBytes: number): void {
    this.index.setMaxEntries(Math.floor(segmentIndexBytes / OFFSET_INDEX_ENTRY_SIZE));
    this.timeIndex.setMaxEntries(Math.floor(segmentIndexBytes / TIME_INDEX_ENTRY_SIZE));
  }

  /** Write `buf` (whole batches, offsets already assigned) at the end of the log file. */
  appendBytes(buf: Buffer): void {
    const at = this.size;
    try {
      this.log.write(buf, 0, buf.length, at);
    } catch (e) {
      // A partial write (e.g. ENOSPC) must not leave half a batch: cut back to the old end.
      try {
        this.log.truncate(at);
      } catch {
        // Recovery will cut the torn tail.
      }
      throw e;
    }
    this.size += buf.length;
  }

  /**
   * Account for one batch already written at `position` (Kafka's per-batch index logic):
   * an offset index entry once more than index.interval.bytes were written since the last,
   * and a time index entry then if the max timestamp grew.
   */
  indexBatch(b: BatchInfo, indexIntervalBytes: number, persist = true): void {
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp;
      this.offsetOfMaxTimestamp = b.baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      this.index.append(b.lastOffset, b.position, persist);
      if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, persist);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += b.size;
  }

  /** The segment stops being active: record its final max timestamp (as Kafka) and unpin. */
  onBecomeInactive(): void {
    this.appendFinalTimeEntry(true);
    this.index.unpin();
    this.timeIndex.unpin();
  }

  /** The (max timestamp, its batch) entry that makes the time index's last entry exact. */
  private appendFinalTimeEntry(persist: boolean): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, persist, true);
  }

  onBecomeActive(): void {
    this.index.pin();
    this.timeIndex.pin();
    const last = this.index.lastEntry();
    this.bytesSinceLastIndexEntry = last === null ? this.size : this.size - last.position;
  }

  /** First batch whose last offset >= `offset` (the batch holding it), scanning from the index. */
  findBatch(offset: number): BatchInfo | null {
    const start = this.index.lookup(offset).position;
    const scan = new HeaderScanner(this.log, start, this.size);
    for (let b = scan.next(); b !== null; b = scan.next()) {
      if (b.lastOffset >= offset) return b;
    }
    return null;
  }

  /** First batch at or after `fromOffset`'s batch whose maxTimestamp >= `timestamp`. */
  findBatchByTimestamp(timestamp: number, fromOffset: number): BatchInfo | null {
    if (this.maxTimestamp < timestamp) return null;
    const entry = this.timeIndex.lookup(timestamp);
    const startOffset = Math.max(entry === null ? this.baseOffset : entry.offset, fromOffset);
    const scan = new HeaderScanner(this.log, this.index.lookup(startOffset).position, this.size);
    for (let b = scan.next(); b !== null; b = scan.next()) {
      if (b.lastOffset >= startOffset && b.maxTimestamp >= timestamp) return b;
    }
    return null;
  }

  /** Largest-timestamp batch among batches with lastOffset >= fromOffset (header scan). */
  scanMaxTimestamp(fromOffset: number): BatchInfo | null {
    const scan = new HeaderScanner(this.log, this.index.lookup(fromOffset).position, this.size);
    let best: BatchInfo | null = null;
    for (let b = scan.next(); b !== null; b = scan.next()) {
      if (b.lastOffset >= fromOffset && (best === null || b.maxTimestamp > best.maxTimestamp)) best = b;
    }
    return best;
  }

  read(position: number, length: number): Buffer {
    return this.log.read(position, length);
  }

  /**
   * Remove batches from the one holding `offset` on. Returns the offset the segment now ends
   * at (the cut batch's base offset), or null if no batch reaches `offset`.
   */
  truncateTo(offset: number): number | null {
    const b = this.findBatch(offset);
    if (b === null) return null;
    this.truncateAtPosition(b.position, b.baseOffset);
    return b.baseOffset;
  }

  private truncateAtPosition(position: number, endOffset: number): void {
    this.log.truncate(position);
    this.size = position;
    this.index.truncateToOffset(endOffset);
    this.timeIndex.truncateToOffset(endOffset);
    this.recomputeMaxTimestamp();
    this.bytesSinceLastIndexEntry = 0;
  }

  /**
   * Max timestamp from the last time index entry (every earlier batch is below it) plus a
   * header scan of the batches after that entry's batch.
   */
  recomputeMaxTimestamp(): void {
    const last = this.timeIndex.lastEntry();
    this.maxTimestamp = last === null ? -1 : last.timestamp;
    this.offsetOfMaxTimestamp = last === null ? -1 : last.offset;
    const from = last === null ? this.baseOffset : last.offset;
    const scan = new HeaderScanner(this.log, this.index.lookup(from).position, this.size);
    for (let b = scan.next(); b !== null; b = scan.next()) {
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.offsetOfMaxTimestamp = b.baseOffset;
      }
    }
  }

  /** Offset after the last batch, found from the last index entry (trusted segments). */
  scanEnd(): { nextOffset: number; torn: boolean } {
    const last = this.index.lastEntry();
    const scan = new HeaderScanner(this.log, last === null ? 0 : last.position, this.size);
    let next = last === null ? this.baseOffset : last.offset + 1;
    for (let b = scan.next(); b !== null; b = scan.next()) next = b.lastOffset + 1;
    return { nextOffset: next, torn: scan.torn };
  }

  /**
   * Recovery: check every batch (length, magic, dense offsets, CRC32C), cut the log at the
   * first bad one and rebuild both indexes from the good batches.
   */
  recover(indexIntervalBytes: number): ValidationResult {
    this.index.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    const result = validateBatches(this.log, 0, this.size, this.baseOffset, (b) => this.indexBatch(b, indexIntervalBytes, false));
    if (result.validEnd < this.size) {
      this.log.truncate(result.validEnd);
      this.size = result.validEnd;
    }
    this.appendFinalTimeEntry(false);
    this.index.persistAll();
    this.timeIndex.persistAll();
    return result;
  }

  /** Rebuild indexes from headers only (a trusted segment whose index files looked wrong). */
  rebuildIndexes(indexIntervalBytes: number): void {
    this.index.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    const scan = new HeaderScanner(this.log, 0, this.size, 64 * 1024);
    for (let b = scan.next(); b !== null; b = scan.next()) this.indexBatch(b, indexIntervalBytes, false);
    this.appendFinalTimeEntry(false);
    this.index.persistAll();
    this.timeIndex.persistAll();
  }

  /** Newest timestamp for retention.ms: max batch timestamp, else the file's mtime (as Kafka). */
  largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.log.mtimeMs();
  }

  flush(): void {
    this.log.sync();
    this.index.sync();
    this.timeIndex.sync();
  }

  async flushAsync(): Promise<void> {
    await Promise.all([this.log.syncAsync(), this.index.file.syncAsync(), this.timeIndex.file.syncAsync()]);
  }

  close(): void {
    this.log.close();
    this.index.close();
    this.timeIndex.close();
  }

  delete(): void {
    this.deleted = true;
    this.log.delete();
    this.index.delete();
    this.timeIndex.delete();
  }
}
