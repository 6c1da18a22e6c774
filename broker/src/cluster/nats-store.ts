/**
 * Cluster MetadataStore over the NATS JetStream KV bucket `<cluster>_meta` (ARCHITECTURE.md).
 * Same keys and semantics as LocalMetadataStore: a bucket-wide revision (the stream
 * sequence), CAS create/update/delete, list(prefix), and watch(prefix) that delivers the
 * current entries and then every change in revision order, deletions as value null.
 *
 * Keys: NATS KV keys are subjects, so '.' separates tokens and only [-/=.\w] is allowed. Our
 * logical keys embed topic names, which may contain '.', so every key goes through
 * encodeKey/decodeKey below (the only place that knows the mapping; see README.md).
 *
 * Reconnects: the `nats` client reconnects by itself, but a watch's consumer may not survive a
 * server restart, so each watch re-creates its consumer from the last revision it delivered
 * whenever the client reconnects or the consumer ends. Deliveries are de-duplicated by
 * revision, so a watch neither loses nor repeats a change.
 */
import { connect, Events, type ConnectionOptions, type KV, type KvEntry as NatsKvEntry, type KvOptions, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { Keys } from './keys.js';
import { RevisionMismatchError, type KvEntry, type MetadataStore } from './types.js';

// ---------------------------------------------------------------------------------------
// Key codec. A logical key is split into segments by the key layout (so a topic name stays
// one segment however many dots it has); each segment is escaped so it is one valid token.
// Decoding never needs the layout: decode each token, join with '.'.

const PLAIN = /^[A-Za-z0-9_-]$/;

/** One segment -> one NATS token: [A-Za-z0-9_-] kept, other UTF-8 bytes as `=XX`, '' as `=`. */
export function encodeKeySegment(segment: string): string {
  if (segment === '') return '=';
  let out = '';
  for (const ch of segment) {
    if (PLAIN.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeKeySegment(token: string): string {
  if (token === '=') return '';
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(token.slice(i + 1, i + 3))) {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(token[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits a logical key where the layout (keys.ts) puts token boundaries. */
function keySegments(key: string): string[] {
  if (key.startsWith(Keys.topicPrefix)) return ['topics', key.slice(Keys.topicPrefix.length)];
  if (key.startsWith(Keys.topicConfigPrefix)) return ['configs', 'topic', key.slice(Keys.topicConfigPrefix.length)];
  if (key.startsWith(Keys.partitionPrefix)) {
    // The partition number is after the last dot; everything before it is the topic name.
    const rest = key.slice(Keys.partitionPrefix.length);
    const dot = rest.lastIndexOf('.');
    if (dot > 0 && /^\d+$/.test(rest.slice(dot + 1))) return ['partitions', rest.slice(0, dot), rest.slice(dot + 1)];
  }
  return key.split('.');
}

export function encodeKey(key: string): string {
  return keySegments(key).map(encodeKeySegment).join('.');
}

export function decodeKey(natsKey: string): string {
  return natsKey.split('.').map(decodeKeySegment).join('.');
}

/**
 * A subject filter that matches at least every key starting with `prefix`. Every layout rule
 * keeps the text before the first '.' as the first token, so that token narrows the filter;
 * callers still check startsWith on the decoded key.
 */
export function subjectFilterFor(prefix: string): string {
  const dot = prefix.indexOf('.');
  return dot < 0 ? '>' : `${encodeKeySegment(prefix.slice(0, dot))}.>`;
}

// ---------------------------------------------------------------------------------------
// Shared NATS plumbing for the store, the broker registry and the controller lease.

/** Bucket names must be valid NATS names; config.ts restricts the cluster name already. */
export function bucketName(cluster: string, suffix: 'meta' | 'brokers' | 'controller'): string {
  return `${cluster}_${suffix}`;
}

/** Connect with endless reconnects: losing NATS for a while must not kill the broker. */
export function connectNats(servers: string | string[], opts: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  return connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, pingInterval: 2000, ...opts });
}

export interface BucketOptions {
  /** Bucket max_age in ms; 0 = keep forever. */
  readonly ttlMs?: number;
  /** JetStream replicas of the bucket (1 on a single nats-server, 3 on a NATS cluster). */
  readonly replicas?: number;
  /** Per-request timeout of KV operations. */
  readonly timeoutMs?: number;
}

/** Creates the bucket on first use (history 1) and corrects max_age if it was created with another. */
export async function openBucket(nc: NatsConnection, name: string, opts: BucketOptions = {}): Promise<KV> {
  const timeout = opts.timeoutMs ?? 5000;
  const kvOpts: Partial<KvOptions> = { history: 1, replicas: opts.replicas ?? 1, timeout };
  if (opts.ttlMs) kvOpts.ttl = opts.ttlMs;
  const kv = await nc.jetstream({ timeout }).views.kv(name, kvOpts);
  const jsm = await nc.jetstreamManager({ timeout });
  const info = await jsm.streams.info(`KV_${name}`);
  const wantAge = (opts.ttlMs ?? 0) * 1_000_000; // JetStream durations are nanoseconds
  if (info.config.max_age !== wantAge) await jsm.streams.update(info.config.name, { ...info.config, max_age: wantAge });
  return kv;
}

/**
 * A TTL bucket written every `renewMs` (default a third of the TTL) to keep an entry alive:
 * its request timeout is just under that interval, because a renewal slower than its
 * interval is as good as lost.
 */
export function openTtlBucket(
  nc: NatsConnection,
  name: string,
  opts: { readonly ttlMs: number; readonly renewMs?: number | undefined; readonly replicas?: number | undefined },
): Promise<KV> {
  return openBucket(nc, name, {
    ttlMs: opts.ttlMs,
    replicas: opts.replicas,
    timeoutMs: Math.max(200, Math.floor((opts.renewMs ?? opts.ttlMs / 3) * 0.9)),
  });
}

/** JetStream's "wrong last sequence" (10071): the expected revision did not match. */
export function isRevisionMismatch(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const api = (err as { api_error?: { err_code?: number } }).api_error;
  if (api?.err_code === 10071) return true;
  const msg = (err as { message?: unknown }).message;
  return typeof msg === 'string' && /wrong last sequence/i.test(msg);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeValue(bytes: Uint8Array): unknown {
  return JSON.parse(decoder.decode(bytes)) as unknown;
}

/**
 * The current value of every key under `filter`, via one last-value-per-subject consumer
 * (one round trip for the whole set rather than keys() plus one get per key).
 */
export async function snapshotBucket(kv: KV, filter: string): Promise<NatsKvEntry[]> {
  const out: NatsKvEntry[] = [];
  let done!: () => void;
  const initialized = new Promise<void>((r) => (done = r));
  const iter = await kv.watch({ key: filter, initializedFn: () => done() });
  const pump = (async () => {
    for await (const e of iter) out.push(e);
  })();
  // The iterator ends with an error if the consumer dies before the initial set arrives.
  await Promise.race([initialized, pump.then(() => Promise.reject(new Error('KV snapshot ended early')))]);
  iter.stop();
  await pump.catch(() => undefined);
  return out.filter((e) => e.operation === 'PUT');
}

// ---------------------------------------------------------------------------------------

export interface NatsMetadataStoreOptions extends BucketOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  /** Close `nc` on close() (when the store made the connection). */
  readonly ownsConnection?: boolean;
  readonly logger?: Logger;
}

export class NatsMetadataStore implements MetadataStore {
  private readonly watches = new Set<NatsWatch>();
  private closed = false;
  private statusIter: { stop(): void } | null = null;

  private constructor(
    private readonly kv: KV,
    private readonly opts: NatsMetadataStoreOptions,
  ) {}

  static async open(opts: NatsMetadataStoreOptions): Promise<NatsMetadataStore> {
    const kv = await openBucket(opts.nc, bucketName(opts.cluster, 'meta'), opts);
    const store = new NatsMetadataStore(kv, opts);
    store.followConnection();
    return store;
  }

  async get(key: string): Promise<KvEntry | null> {
    this.checkOpen();
    const e = await this.kv.get(encodeKey(key));
    return e && e.operation === 'PUT' ? { key, value: decodeValue(e.value), revision: e.revision } : null;
  }

  async create(key: string, value: unknown): Promise<number> {
    this.checkOpen();
    // kv.create also succeeds over a delete marker, as LocalMetadataStore does for a deleted key.
    return this.cas(key, () => this.kv.create(encodeKey(key), encodeValue(value)));
  }

  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    this.checkOpen();
    // Revision 0 would mean "no message yet" to JetStream, i.e. a create: not an update.
    if (!(expectedRevision > 0)) throw new RevisionMismatchError(key);
    return this.cas(key, () => this.kv.update(encodeKey(key), encodeValue(value), expectedRevision));
  }

  async delete(key: string, expectedRevision?: number): Promise<void> {
    this.checkOpen();
    if (expectedRevision === undefined) {
      // Deleting a missing key is a no-op locally; a NATS delete would still write a marker.
      if (!(await this.get(key))) return;
      await this.kv.delete(encodeKey(key));
      return;
    }
    if (!(expectedRevision > 0)) throw new RevisionMismatchError(key);
    await this.cas(key, async () => {
      await this.kv.delete(encodeKey(key), { previousSeq: expectedRevision });
      return 0;
    });
  }

  async list(prefix: string): Promise<KvEntry[]> {
    this.checkOpen();
    const entries = await snapshotBucket(this.kv, subjectFilterFor(prefix));
    return entries
      .map((e) => ({ key: decodeKey(e.key), value: decodeValue(e.value), revision: e.revision }))
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => a.revision - b.revision);
  }

  /** Resolves once the current entries have been delivered; changes follow in revision order. */
  async watch(prefix: string, onChange: (entry: KvEntry) => void): Promise<{ stop(): void }> {
    this.checkOpen();
    const w = new NatsWatch(this.kv, prefix, onChange, this.opts.logger);
    this.watches.add(w);
    try {
      await w.start();
    } catch (err) {
      w.stop();
      this.watches.delete(w);
      throw err;
    }
    return {
      stop: () => {
        w.stop();
        this.watches.delete(w);
      },
    };
  }

  /**
   * The bucket's newest revision now (the stream's last sequence): every change made so far is
   * at or below it. A server round trip, so it reflects writes other brokers made meanwhile.
   */
  async currentRevision(): Promise<number> {
    this.checkOpen();
    return (await this.kv.status()).streamInfo.state.last_seq;
  }

  /**
   * The revision up to which every open watch has delivered all changes (callbacks run
   * synchronously, so a watcher such as the metadata image has applied them). With no open
   * watch nothing is pending, hence no bound.
   */
  watchedRevision(): number {
    let min = Number.MAX_SAFE_INTEGER;
    for (const w of this.watches) min = Math.min(min, w.deliveredRevision);
    return min;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    this.watches.clear();
    this.statusIter?.stop();
    if (this.opts.ownsConnection) await this.opts.nc.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('metadata store is closed');
  }

  private async cas(key: string, op: () => Promise<number>): Promise<number> {
    try {
      return await op();
    } catch (err) {
      if (isRevisionMismatch(err)) throw new RevisionMismatchError(key);
      throw err;
    }
  }

  /** After a reconnect the server may have lost our consumers (restart): re-create them. */
  private followConnection(): void {
    const status = this.opts.nc.status();
    // nc.status() is typed as AsyncIterable but is a QueuedIterator that can be stopped.
    const stoppable = status as AsyncIterable<unknown> & { stop?: () => void };
    this.statusIter = { stop: () => stoppable.stop?.() };
    void (async () => {
      for await (const s of status) {
        if (this.closed) break;
        if (s.type === Events.Reconnect) for (const w of this.watches) w.resume('reconnect');
      }
    })();
  }
}

/**
 * One watch: a last-value consumer for the initial load, then, whenever the consumer is
 * replaced, a consumer from `lastRevision + 1` so every later change (deletions included)
 * arrives exactly once.
 */
class NatsWatch {
  private lastRevision = 0;
  private generation = 0;
  private stopped = false;
  private current: { stop(): void } | null = null;
  private resuming = false;
  private initialBuffer: NatsKvEntry[] = [];

  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly onChange: (entry: KvEntry) => void,
    private readonly logger?: Logger,
  ) {}

  /** Every change at or below this revision has been passed to the callback (or filtered out). */
  get deliveredRevision(): number {
    return this.lastRevision;
  }

  async start(): Promise<void> {
    // Everything up to the stream's last sequence now is covered by the initial load.
    const floor = (await this.kv.status()).streamInfo.state.last_seq;
    const gen = ++this.generation;
    let done!: () => void;
    const initialized = new Promise<void>((r) => (done = r));
    let initial = true;
    // initializedFn runs in order inside the iterator, right after the last initial entry, so
    // the switch from "initial" to "change" is exact. Initial entries are sorted before delivery.
    const iter = await this.kv.watch({
      key: subjectFilterFor(this.prefix),
      initializedFn: () => {
        initial = false;
        for (const e of this.initialBuffer.sort((a, b) => a.revision - b.revision)) this.deliver(e, true);
        this.initialBuffer = [];
        this.lastRevision = Math.max(this.lastRevision, floor);
        done();
      },
    });
    this.current = iter;
    const pump = this.pump(gen, iter, () => initial);
    await Promise.race([initialized, pump.then(() => Promise.reject(new Error('metadata watch ended during initial load')))]);
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    this.current?.stop();
    this.current = null;
  }

  /** Replace the consumer, resuming after the last delivered revision; retries until it works. */
  resume(why: string): void {
    if (this.stopped || this.resuming) return;
    this.resuming = true;
    const gen = ++this.generation;
    this.current?.stop();
    this.current = null;
    void (async () => {
      let delay = 100;
      while (!this.stopped && gen === this.generation) {
        try {
          const from = this.lastRevision + 1;
          const iter = await this.kv.watch({ key: subjectFilterFor(this.prefix), resumeFromRevision: from });
          if (this.stopped || gen !== this.generation) {
            iter.stop();
            break;
          }
          this.current = iter;
          this.logger?.info({ prefix: this.prefix, from, why }, 'metadata watch resumed');
          this.resuming = false;
          void this.pump(gen, iter, () => false);
          return;
        } catch (err) {
          this.logger?.warn({ err, prefix: this.prefix }, 'metadata watch resume failed; retrying');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
        }
      }
      this.resuming = false;
    })();
  }

  private async pump(gen: number, iter: AsyncIterable<NatsKvEntry>, isInitial: () => boolean): Promise<void> {
    try {
      for await (const e of iter) {
        if (gen !== this.generation) return;
        if (isInitial()) this.initialBuffer.push(e);
        else this.deliver(e, false);
      }
    } catch (err) {
      this.logger?.warn({ err, prefix: this.prefix }, 'metadata watch consumer failed');
    }
    // The consumer ended on its own (not replaced, not stopped): resume from where it was.
    if (gen === this.generation && !this.stopped && !isInitial()) this.resume('consumer ended');
  }

  private deliver(e: NatsKvEntry, initial: boolean): void {
    // A replacement consumer may repeat what its predecessor delivered.
    if (!initial && e.revision <= this.lastRevision) return;
    this.lastRevision = Math.max(this.lastRevision, e.revision);
    const key = decodeKey(e.key);
    if (!key.startsWith(this.prefix)) return;
    const deleted = e.operation !== 'PUT';
    // The initial load shows the current state: a delete marker there is just an absent key.
    if (deleted && initial) return;
    let value: unknown = null;
    if (!deleted) {
      try {
        value = decodeValue(e.value);
      } catch (err) {
        this.logger?.error({ err, key }, 'undecodable metadata value; skipped');
        return;
      }
    }
    try {
      this.onChange({ key, value, revision: e.revision });
    } catch (err) {
      this.logger?.error({ err, key }, 'metadata watch callback failed');
    }
  }
}
