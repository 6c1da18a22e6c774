/**
 * Opening a partition directory, with crash recovery (invariant 5).
 *
 * Clean shutdown: indexes are trusted after a cheap sanity check; only the active segment's
 * tail after its last index entry is walked (headers only) to find the log end.
 * Unclean: segments wholly below the checkpointed recovery point were fdatasync'd and are
 * trusted the same way; every later segment is re-read batch by batch (length, magic, dense
 * offsets, CRC32C). The first bad or torn batch cuts its segment there, all later segments
 * are deleted, and the recovered segments' indexes are rebuilt.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { readCheckpoint } from './checkpoint.js';
import { FileHandleCache } from './fd-cache.js';
import { IndexMemory } from './index-file.js';
import { Log } from './log.js';
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, type StorageResources, TIME_INDEX_SUFFIX } from './segment.js';
import type { LogConfig } from './types.js';

export interface OpenLogOptions {
  /** True when the previous shutdown was clean (LogManager's marker file). */
  readonly clean: boolean;
  /** Shared fd cache and index memory budget; a private small set is made if absent. */
  readonly resources?: StorageResources;
  readonly logger?: Logger;
}

const SEGMENT_FILE = /^(\d{20})(\.log|\.index|\.timeindex)$/;

export function defaultResources(): StorageResources {
  return { fds: new FileHandleCache(64), indexMemory: new IndexMemory(16 * 1024 * 1024) };
}

export function openLog(dir: string, config: LogConfig, opts: OpenLogOptions): Log {
  const res = opts.resources ?? defaultResources();
  const logger = opts.logger;
  fs.mkdirSync(dir, { recursive: true });

  const bases = new Set<number>();
  const others: { base: number; file: string }[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, name), { force: true }); // an interrupted checkpoint write
      continue;
    }
    const m = SEGMENT_FILE.exec(name);
    if (m === null) continue;
    const base = Number(m[1]);
    if (m[2] === LOG_SUFFIX) bases.add(base);
    else others.push({ base, file: name });
  }
  // Index files whose .log is gone (deleted mid-way) are garbage.
  for (const o of others) if (!bases.has(o.base)) fs.rmSync(path.join(dir, o.file), { force: true });
  const indexCount = new Map<number, number>();
  for (const o of others) indexCount.set(o.base, (indexCount.get(o.base) ?? 0) + 1);

  const cp = readCheckpoint(dir);
  const sorted = [...bases].sort((a, b) => a - b);
  const segments = sorted.map((b) => LogSegment.open(dir, b, res, config.segmentIndexBytes, false));
  if (segments.length === 0) {
    segments.push(LogSegment.open(dir, cp?.logStartOffset ?? 0, res, config.segmentIndexBytes, true));
  }

  // Segments wholly below the log start whose deletion was interrupted by a crash.
  const cpStart = cp?.logStartOffset ?? 0;
  while (segments.length > 1 && (segments[1] as LogSegment).baseOffset <= cpStart) (segments.shift() as LogSegment).delete();

  // Without a checkpoint nothing is known to be flushed: recover everything.
  const recoveryPoint = opts.clean ? Number.POSITIVE_INFINITY : (cp?.recoveryPoint ?? 0);
  let recovered = false;
  let i = 0;
  // Trusted prefix: segments whose successor starts at or below the recovery point.
  for (; i < segments.length - 1; i++) {
    const seg = segments[i] as LogSegment;
    const nextBase = (segments[i + 1] as LogSegment).baseOffset;
    if (nextBase > recoveryPoint) break;
    loadTrusted(seg, nextBase, indexCount.get(seg.baseOffset) === 2, config, logger);
  }
  const last = segments[segments.length - 1] as LogSegment;
  if (i === segments.length - 1 && opts.clean) {
    // Clean shutdown: the active segment only needs its end found.
    if (indexCount.get(last.baseOffset) !== 2) last.rebuildIndexes(config.indexIntervalBytes);
    if (!last.index.sane(last.size) || last.scanEnd().torn) {
      logger?.warn({ dir, segment: last.baseOffset }, 'active segment inconsistent after clean shutdown; recovering it');
      i = recoverFrom(segments, i, config, logger, dir);
      recovered = true;
    } else {
      if (!last.timeIndex.sane(Number.MAX_SAFE_INTEGER)) last.rebuildIndexes(config.indexIntervalBytes);
      last.recomputeMaxTimestamp();
    }
  } else {
    recoverFrom(segments, i, config, logger, dir);
    recovered = true;
  }

  const active = segments[segments.length - 1] as LogSegment;
  active.onBecomeActive();
  active.setIndexLimits(config.segmentIndexBytes);
  if (active.size > 0) active.rollingBaseMs = fileBirthMs(active.log.path);

  const firstBase = (segments[0] as LogSegment).baseOffset;
  const lso = Math.max(cp?.logStartOffset ?? firstBase, firstBase);
  const log = new Log(dir, config, res, segments, lso, recovered ? 0 : (cp?.recoveryPoint ?? 0), logger, cp?.highWatermark);
  if (lso > log.logEndOffset) {
    // The tail below the checkpointed log start was lost; never reuse those offsets.
    log.truncateFullyAndStartAt(lso);
  }
  // After a recovery everything kept was checked: flush it and move the recovery point.
  if (recovered || cp === null) log.flush();
  return log;
}

/** Segments below the recovery point: indexes sanity-checked (rebuilt from headers if odd). */
function loadTrusted(seg: LogSegment, nextBase: number, hadIndexes: boolean, config: LogConfig, logger: Logger | undefined): void {
  if (!hadIndexes || !seg.index.sane(seg.size) || !seg.timeIndex.sane(nextBase)) {
    logger?.warn({ segment: seg.log.path }, 'rebuilding index of trusted segment');
    seg.rebuildIndexes(config.indexIntervalBytes);
    return;
  }
  const lastTime = seg.timeIndex.lastEntry();
  if (lastTime !== null) {
    // Written when the segment became inactive: the segment's max timestamp.
    seg.maxTimestamp = lastTime.timestamp;
    seg.offsetOfMaxTimestamp = lastTime.offset;
  } else if (seg.size > 0) {
    seg.recomputeMaxTimestamp(); // no timestamps at all, or an emptied time index
  }
}

/**
 * CRC-check segments[from..]: each must start where the previous one ended; the first
 * problem truncates that segment and deletes every later one. Returns the active index.
 */
function recoverFrom(segments: LogSegment[], from: number, config: LogConfig, logger: Logger | undefined, dir: string): number {
  let expected = (segments[from] as LogSegment).baseOffset;
  let j = from;
  for (; j < segments.length; j++) {
    const seg = segments[j] as LogSegment;
    if (seg.baseOffset !== expected) {
      logger?.warn({ dir, segment: seg.baseOffset, expected }, 'segment does not continue the log; dropping it and later segments');
      break;
    }
    const r = seg.recover(config.indexIntervalBytes);
    expected = r.nextOffset;
    if (r.problem !== null) {
      logger?.warn({ dir, segment: seg.baseOffset, problem: r.problem, keptBytes: r.validEnd }, 'truncated log at first invalid batch');
      j++;
      break;
    }
  }
  for (const dropped of segments.splice(Math.max(j, from + 1))) dropped.delete();
  return segments.length - 1;
}

function fileBirthMs(file: string): number {
  const st = fs.statSync(file);
  return st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
}

export { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX };
