/**
 * Single-broker MetadataStore: an in-memory revisioned map persisted as one JSON snapshot in
 * `<dataDir>/__cluster_metadata/metadata.json`. Semantics match NATS JetStream KV (what the
 * cluster store uses): one revision counter for the whole store, each key remembers the
 * revision of its last write, `create` fails if the key exists, `update` fails unless the
 * expected revision matches, deletes are seen by watchers as value null.
 *
 * Writes are applied to memory at once (so CAS checks see every earlier write) and then
 * group-committed: writes that arrive while a snapshot is being written share the next one
 * (temp file + fsync + rename + directory fsync). A write resolves, and watchers hear of it,
 * only once it is durable; if persisting fails, memory rolls back to the last durable state.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RevisionMismatchError, type KvEntry, type MetadataStore } from './types.js';

export const METADATA_DIR = '__cluster_metadata';
const SNAPSHOT = 'metadata.json';

interface StoredValue {
  readonly value: unknown;
  readonly revision: number;
}

interface Snapshot {
  readonly format: 1;
  readonly revision: number;
  readonly entries: readonly (readonly [string, StoredValue])[];
}

interface Watcher {
  readonly prefix: string;
  readonly onChange: (entry: KvEntry) => void;
  readonly queue: KvEntry[];
  scheduled: boolean;
  stopped: boolean;
}

interface Pending {
  readonly entry: KvEntry;
  resolve(): void;
  reject(err: unknown): void;
}

export class LocalMetadataStore implements MetadataStore {
  private entries: Map<string, StoredValue>;
  private revision: number;
  private durable: { entries: Map<string, StoredValue>; revision: number };
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  private constructor(
    private readonly dir: string,
    snapshot: Snapshot | null,
    private readonly logger?: Logger,
  ) {
    this.entries = new Map(snapshot?.entries ?? []);
    this.revision = snapshot?.revision ?? 0;
    this.durable = { entries: new Map(this.entries), revision: this.revision };
  }

  /** Open (or create) the store under `<dataDir>/__cluster_metadata/`. */
  static async open(dataDir: string, logger?: Logger): Promise<LocalMetadataStore> {
    const dir = join(dataDir, METADATA_DIR);
    await mkdir(dir, { recursive: true });
    let snapshot: Snapshot | null = null;
    try {
      snapshot = parseSnapshot(await readFile(join(dir, SNAPSHOT), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new LocalMetadataStore(dir, snapshot, logger);
  }

  /** The store-wide revision of the latest write (durable or pending). */
  get currentRevision(): number {
    return this.revision;
  }

  async get(key: string): Promise<KvEntry | null> {
    this.checkOpen();
    const v = this.entries.get(key);
    return v ? { key, value: v.value, revision: v.revision } : null;
  }

  async create(key: string, value: unknown): Promise<number> {
    this.checkOpen();
    if (this.entries.has(key)) throw new RevisionMismatchError(key);
    return this.write(key, value);
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    this.checkOpen();
    if (this.entries.get(key)?.revision !== expectedRevision) throw new RevisionMismatchError(key);
    return this.write(key, value);
  }

  async delete(key: string, expectedRevision?: number): Promise<void> {
    this.checkOpen();
    const cur = this.entries.get(key);
    if (expectedRevision !== undefined && cur?.revision !== expectedRevision) throw new RevisionMismatchError(key);
    if (!cur) return; // NATS purge/delete of a missing key is not an error either
    await this.write(key, null);
  }

  async list(prefix: string): Promise<KvEntry[]> {
    this.checkOpen();
    return this.matching(prefix);
  }

  /**
   * The initial entries are delivered synchronously, before watch() returns, so a caller that
   * awaits it has a loaded view; later changes follow asynchronously, in revision order.
   */
  async watch(prefix: string, onChange: (entry: KvEntry) => void): Promise<{ stop(): void }> {
    this.checkOpen();
    const w: Watcher = { prefix, onChange, queue: [], scheduled: false, stopped: false };
    // Initial load reflects durable state only: pending writes reach watchers when they commit.
    const initial = [...this.durable.entries]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, v]) => ({ key, value: v.value, revision: v.revision }))
      .sort((a, b) => a.revision - b.revision);
    for (const e of initial) {
      try {
        onChange(e);
      } catch (err) {
        this.logger?.error({ err, key: e.key }, 'metadata watch callback failed');
      }
    }
    this.watchers.add(w);
    return {
      stop: () => {
        w.stopped = true;
        this.watchers.delete(w);
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing) await this.flushing.catch(() => undefined);
    this.closed = true;
    for (const w of this.watchers) w.stopped = true;
    this.watchers.clear();
  }

  private matching(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    for (const [key, v] of this.entries) if (key.startsWith(prefix)) out.push({ key, value: v.value, revision: v.revision });
    return out.sort((a, b) => a.revision - b.revision);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('metadata store is closed');
  }

  private write(key: string, value: unknown): Promise<number> {
    const revision = ++this.revision;
    // Values are stored as parsed JSON copies so callers cannot mutate stored state.
    const stored = value === null ? null : (JSON.parse(JSON.stringify(value)) as unknown);
    if (stored === null) this.entries.delete(key);
    else this.entries.set(key, { value: stored, revision });
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ entry: { key, value: stored, revision }, resolve: () => resolve(revision), reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = (async () => {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        const entries = new Map(this.entries);
        const revision = this.revision;
        // Writes made after this snapshot was taken are in `this.pending` for the next round.
        const inBatch = batch.length;
        try {
          await this.persist({ format: 1, revision, entries: [...entries] });
        } catch (err) {
          this.logger?.error({ err }, 'metadata snapshot write failed; rolling back');
          // Roll back everything not yet durable, including writes queued behind this batch.
          const failed = [...batch, ...this.pending];
          this.pending = [];
          this.entries = new Map(this.durable.entries);
          this.revision = this.durable.revision;
          for (const p of failed) p.reject(err);
          continue;
        }
        this.durable = { entries, revision };
        for (let i = 0; i < inBatch; i++) {
          const p = batch[i];
          if (!p) continue;
          for (const w of this.watchers) if (p.entry.key.startsWith(w.prefix)) this.deliver(w, p.entry);
          p.resolve();
        }
      }
    })().finally(() => {
      this.flushing = null;
      if (this.pending.length > 0) this.scheduleFlush();
    });
  }

  private async persist(snapshot: Snapshot): Promise<void> {
    const tmp = join(this.dir, `${SNAPSHOT}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(snapshot));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT));
    // The rename is durable only once the directory entry is.
    const dh = await open(this.dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }

  private deliver(w: Watcher, entry: KvEntry): void {
    w.queue.push(entry);
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => {
      w.scheduled = false;
      const items = w.queue.splice(0);
      for (const e of items) {
        if (w.stopped) return;
        try {
          w.onChange(e);
        } catch (err) {
          this.logger?.error({ err, key: e.key }, 'metadata watch callback failed');
        }
      }
    });
  }
}

function parseSnapshot(text: string): Snapshot {
  const raw = JSON.parse(text) as Partial<Snapshot>;
  if (raw.format !== 1 || typeof raw.revision !== 'number' || !Array.isArray(raw.entries)) {
    throw new Error('unrecognised metadata snapshot format');
  }
  return { format: 1, revision: raw.revision, entries: raw.entries };
}
