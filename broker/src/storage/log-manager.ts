/**
 * LogManager owns a data directory: one `<topic>-<partition>` directory per partition log,
 * the clean-shutdown marker, the shared fd cache and index memory budget, and the periodic
 * retention / flush work.
 *
 * The marker `.strand-clean-shutdown` is written by close() after every log was flushed and
 * closed, and deleted at startup: if it is missing at startup the previous run crashed and
 * each log recovers its unflushed tail.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { FileHandleCache } from './fd-cache.js';
import { IndexMemory } from './index-file.js';
import { type Log, syncDir } from './log.js';
import { openLog } from './open-log.js';
import type { StorageResources } from './segment.js';
import type { LogConfig, PartitionLog } from './types.js';

export const CLEAN_SHUTDOWN_MARKER = '.strand-clean-shutdown';

export interface LogManagerOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** Config for logs found on disk at open (callers may replace it via getOrCreate). */
  readonly defaultConfig: LogConfig;
  /** Per-topic config for logs found at open; defaults to defaultConfig. */
  readonly configFor?: (topic: string) => LogConfig;
  /** Bound on open file descriptors across all partitions (default 512). */
  readonly maxOpenFiles?: number;
  /** Bound on memory for loaded indexes (default 64 MiB; active segments' indexes count too). */
  readonly maxIndexMemoryBytes?: number;
  /** log.retention.check.interval.ms; 0 or absent = no timer (call runRetention yourself). */
  readonly retentionCheckIntervalMs?: number;
  /** Logs visited per retention tick, so one tick's work stays bounded (default 64). */
  readonly retentionLogsPerTick?: number;
  /**
   * How often rolled segments are fdatasync'd (off the event loop) and the recovery point
   * moved past them, as Kafka does after each roll; default 1000, 0 = never (flushAll only).
   */
  readonly flushRolledIntervalMs?: number;
  /** Highest offset retention may delete up to (the high watermark); default: no bound. */
  readonly retentionUpperBound?: (topic: string, partition: number) => number;
  /** Told how long each log's flush (fdatasync) took, in seconds (the flush-latency metric). */
  readonly onFlush?: (seconds: number) => void;
}

export interface ManagedLog {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
}

/** Parse `<topic>-<partition>`; topic names may contain '-' and '.', so split at the last '-'. */
export function parseLogDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const topic = name.slice(0, dash);
  const p = name.slice(dash + 1);
  if (!/^\d+$/.test(p) || !/^[a-zA-Z0-9._-]+$/.test(topic)) return null;
  return { topic, partition: Number(p) };
}

export function logDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

interface Entry {
  readonly topic: string;
  readonly partition: number;
  readonly log: Log;
}

export class LogManager {
  private readonly logs = new Map<string, Entry>();
  private readonly resources: StorageResources;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** Round-robin cursor of the retention timer. */
  private retentionCursor = 0;
  private closed = false;
  /** Whether the previous shutdown was clean (known at open). */
  readonly wasCleanShutdown: boolean;

  private constructor(private readonly opts: LogManagerOptions) {
    this.logger = opts.logger;
    this.resources = {
      fds: new FileHandleCache(opts.maxOpenFiles ?? 512),
      indexMemory: new IndexMemory(opts.maxIndexMemoryBytes ?? 64 * 1024 * 1024),
    };
    fs.mkdirSync(opts.dataDir, { recursive: true });
    const marker = path.join(opts.dataDir, CLEAN_SHUTDOWN_MARKER);
    this.wasCleanShutdown = fs.existsSync(marker);
    // Deleted now so a crash from here on is detected at the next start.
    fs.rmSync(marker, { force: true });
  }

  /** Open the data dir and load every partition log in it. */
  static open(opts: LogManagerOptions): LogManager {
    const m = new LogManager(opts);
    m.loadAll();
    if (opts.retentionCheckIntervalMs !== undefined && opts.retentionCheckIntervalMs > 0) {
      m.timer = setInterval(() => m.retentionTick(), opts.retentionCheckIntervalMs);
      m.timer.unref();
    }
    const flushMs = opts.flushRolledIntervalMs ?? 1000;
    if (flushMs > 0) {
      m.flushTimer = setInterval(() => void m.flushRolledSegments(), flushMs);
      m.flushTimer.unref();
    }
    return m;
  }

  get fileHandles(): FileHandleCache {
    return this.resources.fds;
  }

  get indexMemory(): IndexMemory {
    return this.resources.indexMemory;
  }

  private loadAll(): void {
    const started = Date.now();
    for (const ent of fs.readdirSync(this.opts.dataDir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      const parsed = parseLogDirName(ent.name);
      if (parsed === null) continue;
      const config = this.opts.configFor?.(parsed.topic) ?? this.opts.defaultConfig;
      this.openOne(parsed.topic, parsed.partition, config);
    }
    this.logger.info(
      { dataDir: this.opts.dataDir, logs: this.logs.size, clean: this.wasCleanShutdown, ms: Date.now() - started },
      'loaded logs',
    );
  }

  private openOne(topic: string, partition: number, config: LogConfig): Log {
    const dir = path.join(this.opts.dataDir, logDirName(topic, partition));
    const log = openLog(dir, config, {
      clean: this.wasCleanShutdown,
      resources: this.resources,
      logger: this.logger.child({ topic, partition }),
    });
    this.logs.set(logDirName(topic, partition), { topic, partition, log });
    return log;
  }

  getOrCreate(topic: string, partition: number, config: LogConfig): PartitionLog {
    this.checkOpen();
    const existing = this.logs.get(logDirName(topic, partition));
    if (existing !== undefined) {
      existing.log.config = config;
      return existing.log;
    }
    if (parseLogDirName(logDirName(topic, partition)) === null) throw new Error(`invalid topic name: ${topic}`);
    return this.openOne(topic, partition, config);
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(logDirName(topic, partition))?.log;
  }

  /** Delete a partition's data (topic deletion, or a replica moved away). */
  remove(topic: string, partition: number): boolean {
    const key = logDirName(topic, partition);
    const e = this.logs.get(key);
    if (e === undefined) return false;
    this.logs.delete(key);
    e.log.deleteAll();
    return true;
  }

  all(): ManagedLog[] {
    return [...this.logs.values()].map(({ topic, partition, log }) => ({ topic, partition, log }));
  }

  /** Apply retention to every log now; returns segments deleted. */
  runRetention(nowMs: number = Date.now()): number {
    let n = 0;
    for (const e of this.logs.values()) n += this.retainOne(e, nowMs);
    return n;
  }

  /** One timer tick: a bounded slice of the logs, round robin. */
  retentionTick(nowMs: number = Date.now()): number {
    if (this.closed) return 0;
    const entries = [...this.logs.values()];
    if (entries.length === 0) return 0;
    const per = Math.min(entries.length, this.opts.retentionLogsPerTick ?? 64);
    let n = 0;
    for (let k = 0; k < per; k++) {
      const e = entries[(this.retentionCursor + k) % entries.length] as Entry;
      n += this.retainOne(e, nowMs);
    }
    this.retentionCursor = (this.retentionCursor + per) % entries.length;
    return n;
  }

  private retainOne(e: Entry, nowMs: number): number {
    try {
      const bound = this.opts.retentionUpperBound?.(e.topic, e.partition) ?? Number.POSITIVE_INFINITY;
      return e.log.enforceRetention(nowMs, bound);
    } catch (err) {
      this.logger.error({ err, topic: e.topic, partition: e.partition }, 'retention failed');
      return 0;
    }
  }

  /** fdatasync rolled segments of every log that has some; one pass at a time. */
  flushRolledSegments(): Promise<void> {
    if (this.flushing !== null) return this.flushing;
    const run = async (): Promise<void> => {
      for (const e of [...this.logs.values()]) {
        if (this.closed) return;
        if (!e.log.hasUnflushedRolledSegments) continue;
        try {
          const started = performance.now();
          await e.log.flushRolledSegments();
          this.opts.onFlush?.((performance.now() - started) / 1000);
        } catch (err) {
          this.logger.error({ err, topic: e.topic, partition: e.partition }, 'flushing rolled segments failed');
        }
      }
    };
    this.flushing = run().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  flushAll(): void {
    const onFlush = this.opts.onFlush;
    for (const e of this.logs.values()) {
      const started = onFlush === undefined ? 0 : performance.now();
      e.log.flush();
      onFlush?.((performance.now() - started) / 1000);
    }
  }

  /** Flush and close every log, then write the clean-shutdown marker. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.timer = null;
    this.flushTimer = null;
    let ok = true;
    for (const e of this.logs.values()) {
      try {
        e.log.close();
      } catch (err) {
        ok = false;
        this.logger.error({ err, topic: e.topic, partition: e.partition }, 'closing log failed');
      }
    }
    this.logs.clear();
    // Only a fully flushed shutdown may skip recovery next time; the marker itself is synced.
    if (ok) {
      const fd = fs.openSync(path.join(this.opts.dataDir, CLEAN_SHUTDOWN_MARKER), 'w');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      syncDir(this.opts.dataDir);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('LogManager is closed');
  }
}
