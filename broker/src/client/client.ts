/**
 * KafkaClient: bootstrap list -> Metadata -> one pooled connection per broker, routing each
 * call to the right broker (any, the controller, a given broker, a partition leader) and
 * retrying retriable failures with backoff until the call's deadline. Stale routing
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER, connection errors)
 * triggers a metadata refresh before the next attempt.
 *
 * The API calls themselves live in admin.ts and data.ts; the methods here are thin wrappers
 * so callers have one object to hold.
 */
import type { Logger } from 'pino';
import type { ApiDefinition } from '../protocol/schema-types.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.js';
import { ClusterView } from './cluster-view.js';
import { KafkaConnection } from './connection.js';
import { ConnectError, isRetriableError, mayHaveBeenApplied } from './errors.js';
import { ConnectionPool, parseAddress } from './pool.js';
import { backoffDelay, needsMetadataRefresh, sleep } from './retry.js';
import type { AttemptContext, CallOptions, RouteOptions, Router, Target } from './router.js';
import { AdminCalls } from './admin.js';

export interface KafkaClientOptions {
  /** HOST:PORT of one or more brokers; the rest are learned from Metadata. */
  readonly bootstrap: readonly string[];
  readonly clientId?: string;
  /** Per-request timeout (default 30 s). */
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Total time per call, retries included, unless the call says otherwise (default 30 s). */
  readonly defaultDeadlineMs?: number;
  /** First retry backoff (default 100 ms), doubling up to maxRetryBackoffMs (default 1 s). */
  readonly retryBackoffMs?: number;
  readonly maxRetryBackoffMs?: number;
  readonly maxInFlight?: number;
  readonly maxResponseBytes?: number;
  readonly logger?: Logger;
}

export class KafkaClient extends AdminCalls implements Router {
  readonly cluster = new ClusterView();
  private readonly bootstrap: readonly string[];
  private readonly pool: ConnectionPool;
  private readonly requestTimeoutMs: number;
  private readonly defaultDeadlineMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly logger: Logger | undefined;
  private readonly connectionOptions: ConstructorParameters<typeof ConnectionPool>[0];
  private stale = true;
  private refreshing: Promise<MetadataResponse> | null = null;

  constructor(opts: KafkaClientOptions) {
    super();
    if (opts.bootstrap.length === 0) throw new Error('KafkaClient needs at least one bootstrap address');
    for (const a of opts.bootstrap) parseAddress(a); // fail fast on typos
    this.bootstrap = [...opts.bootstrap];
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.defaultDeadlineMs = opts.defaultDeadlineMs ?? 30_000;
    this.backoff = { baseMs: opts.retryBackoffMs ?? 100, maxMs: opts.maxRetryBackoffMs ?? 1000 };
    this.logger = opts.logger;
    this.connectionOptions = {
      clientId: opts.clientId ?? 'strand',
      requestTimeoutMs: this.requestTimeoutMs,
      ...(opts.connectTimeoutMs !== undefined && { connectTimeoutMs: opts.connectTimeoutMs }),
      ...(opts.maxInFlight !== undefined && { maxInFlight: opts.maxInFlight }),
      ...(opts.maxResponseBytes !== undefined && { maxResponseBytes: opts.maxResponseBytes }),
      ...(opts.logger !== undefined && { logger: opts.logger }),
    };
    this.pool = new ConnectionPool(this.connectionOptions, opts.logger);
  }

  protected get router(): Router {
    return this;
  }

  /** Runs one API call with routing and retries (see router.ts). */
  async call<T>(op: string, target: Target, opts: RouteOptions, attempt: (ctx: AttemptContext) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (opts.deadlineMs ?? this.defaultDeadlineMs);
    for (let n = 1; ; n++) {
      try {
        const conn = await this.resolve(target);
        const versions = conn.versions ?? (await conn.negotiateVersions());
        const left = deadline - Date.now();
        const timeoutMs = Math.max(1, Math.min(this.requestTimeoutMs + (opts.extraTimeoutMs ?? 0), left));
        return await attempt({ conn, versions, timeoutMs });
      } catch (err) {
        if (!isRetriableError(err) || (!opts.retryAfterSend && mayHaveBeenApplied(err))) throw err;
        if (needsMetadataRefresh(err)) this.stale = true;
        const delay = backoffDelay(n, this.backoff);
        if (Date.now() + delay >= deadline) throw err;
        this.logger?.debug({ op, attempt: n, delay, err: err instanceof Error ? err.message : String(err) }, 'retrying');
        await sleep(delay);
      }
    }
  }

  /** Metadata for `topics` (all topics when omitted or null); also refreshes routing. */
  metadata(topics: readonly string[] | null = null, opts: CallOptions = {}): Promise<MetadataResponse> {
    return this.call('Metadata', { kind: 'any' }, { ...opts, retryAfterSend: true }, () => this.refreshMetadata(topics));
  }

  /**
   * Low-level request to one broker at an explicit version (null: the negotiated one), for
   * callers with their own retry logic such as a replica fetcher. No retries.
   */
  async send<Res = unknown>(brokerId: number, api: ApiDefinition, version: number | null, body: object, opts: { timeoutMs?: number } = {}): Promise<Res> {
    const conn = await this.resolve({ kind: 'broker', brokerId });
    const versions = conn.versions ?? (await conn.negotiateVersions());
    return conn.request<Res>(api, version ?? versions.pick(api), body, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
  }

  /**
   * A new, unpooled, version-negotiated connection to a broker, owned (and closed) by the
   * caller. For long-polling fetchers: a broker answers a connection's requests in order, so
   * a parked Fetch would hold up everything else on a shared connection.
   */
  async dedicatedConnection(brokerId: number): Promise<KafkaConnection> {
    const address = await this.addressOf(brokerId);
    const conn = await KafkaConnection.connect({ ...this.connectionOptions, ...parseAddress(address) });
    try {
      await conn.negotiateVersions();
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Forgets a topic's routing (after deleting it). */
  protected forgetTopic(name: string): void {
    this.cluster.forgetTopic(name);
  }

  private async refreshMetadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    const versions = conn.versions ?? (await conn.negotiateVersions());
    const version = versions.pick(Metadata);
    const body: Record<string, unknown> = {
      topics: topics === null ? (version >= 1 ? null : []) : topics.map((name) => ({ name })),
    };
    // Never create topics as a side effect of routing (field exists from v4).
    if (version >= 4) body.allowAutoTopicCreation = false;
    const res = await conn.request<MetadataResponse>(Metadata, version, body, { timeoutMs: this.requestTimeoutMs });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `Metadata: ${res.errorCode}`);
    this.cluster.apply(res, topics);
    this.stale = false;
    return res;
  }

  /** Refreshes routing when it is stale or lacks `topic`; concurrent callers share one request. */
  private async ensureMetadata(topic?: string): Promise<void> {
    const missing = topic !== undefined && !this.cluster.topics.has(topic);
    if (!this.stale && this.cluster.updatedAt !== 0 && !missing) return;
    if (this.refreshing === null) {
      // A full refresh keeps every known topic current; one Metadata request serves all waiters.
      const known = [...this.cluster.topics.keys()];
      const wanted = topic === undefined || known.includes(topic) ? known : [...known, topic];
      this.refreshing = this.refreshMetadata(wanted).finally(() => (this.refreshing = null));
    }
    await this.refreshing;
    if (topic !== undefined && !this.cluster.topics.has(topic) && this.refreshing === null) {
      await this.refreshMetadata([topic]);
    }
  }

  private async resolve(target: Target): Promise<KafkaConnection> {
    switch (target.kind) {
      case 'any':
        return this.anyConnection();
      case 'broker':
        return this.pool.get(await this.addressOf(target.brokerId));
      case 'controller': {
        await this.ensureMetadata();
        if (this.cluster.controllerId < 0) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'no controller known');
        return this.pool.get(await this.addressOf(this.cluster.controllerId));
      }
      case 'leader': {
        await this.ensureMetadata(target.topic);
        const p = this.cluster.partition(target.topic, target.partition);
        if (p === undefined) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${target.topic}-${target.partition} is not in metadata`);
        }
        if (p.leaderId < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${target.topic}-${target.partition} has no leader`);
        return this.pool.get(await this.addressOf(p.leaderId));
      }
    }
  }

  private async addressOf(brokerId: number): Promise<string> {
    let address = this.cluster.address(brokerId);
    if (address === undefined) {
      await this.ensureMetadata();
      address = this.cluster.address(brokerId);
      if (address === undefined) {
        this.stale = true;
        throw new ConnectError(`broker ${brokerId}`, 'not in cluster metadata');
      }
    }
    return address;
  }

  /** Any reachable broker: known brokers first, then the bootstrap list. */
  private async anyConnection(): Promise<KafkaConnection> {
    const candidates = [...new Set([...[...this.cluster.brokers.values()].map((b) => `${b.host}:${b.port}`), ...this.bootstrap])];
    let last: unknown = new ConnectError(this.bootstrap.join(','), 'no brokers');
    for (const address of candidates) {
      try {
        return await this.pool.get(address);
      } catch (err) {
        if (!(err instanceof ConnectError)) throw err;
        last = err;
      }
    }
    throw last;
  }
}
