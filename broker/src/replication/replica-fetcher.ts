/**
 * The follower side of replication: one ReplicaFetcher per leader broker
 * (num.replica.fetchers = 1), on its own connection (a parked Fetch would delay anything
 * sharing it). For each followed partition it first truncates divergent history —
 * OffsetForLeaderEpoch for its latest epoch, truncate, repeat until the leader agrees
 * (KIP-101/279) — then fetches with Fetch(replica_id = self) from its LEO, appends the
 * leader's batches as they are, and takes the leader's HW (capped at its own LEO). A Fetch
 * answer with divergingEpoch (v12, from lastFetchedEpoch) truncates the same way.
 *
 * Errors back off per partition (the leader's metadata may lag ours) or per connection
 * (exponential, capped). At most one request is in flight per fetcher, so buffers are bounded
 * by replica.fetch.response.max.bytes.
 */
import type { Logger } from 'pino';
import type { KafkaConnection } from '../client/connection.js';
import { ErrorCode } from '../protocol/errors.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../protocol/messages/fetch.js';
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from '../protocol/messages/offset-for-leader-epoch.js';
import { UNDEFINED_EPOCH } from '../storage/leader-epoch-cache.js';
import { truncationOffset } from './follower-state.js';
import type { Partition } from './partition.js';
import { partitionKey } from './purgatory.js';

const ZERO_UUID = '00000000000000000000000000000000';
/** Back-off for one partition after a retriable partition error (leader not caught up with metadata). */
const PARTITION_RETRY_MS = 200;
const MAX_BACKOFF_MS = 1000;

export interface FetcherSettings {
  readonly maxBytes: number; // replica.fetch.max.bytes (per partition)
  readonly responseMaxBytes: number; // replica.fetch.response.max.bytes
  readonly maxWaitMs: number; // replica.fetch.wait.max.ms
  readonly minBytes: number; // replica.fetch.min.bytes
  readonly requestTimeoutMs: number;
}

export interface FetcherDeps {
  readonly nodeId: number;
  readonly settings: FetcherSettings;
  readonly connect: (brokerId: number) => Promise<KafkaConnection>;
  readonly logger: Logger;
}

interface Followed {
  readonly partition: Partition;
  /** The leader epoch we follow at; sent as currentLeaderEpoch (fencing both ways). */
  readonly leaderEpoch: number;
  phase: 'truncating' | 'fetching';
  delayedUntil: number;
}

export class ReplicaFetcher {
  private readonly parts = new Map<string, Followed>();
  private conn: KafkaConnection | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private backoffMs = 0;

  constructor(
    readonly leaderId: number,
    private readonly deps: FetcherDeps,
  ) {}

  get size(): number {
    return this.parts.size;
  }

  /** Follow `p` at its current leader epoch, starting with divergence truncation. */
  add(p: Partition): void {
    this.parts.set(partitionKey(p.topic, p.partition), { partition: p, leaderEpoch: p.leaderEpoch, phase: 'truncating', delayedUntil: 0 });
    if (!this.running) this.start();
    this.wake();
  }

  remove(topic: string, partition: number): void {
    this.parts.delete(partitionKey(topic, partition));
  }

  private start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.parts.clear(); // an answer still in flight then touches no partition

    this.wake();
    const c = this.conn;
    this.conn = null;
    // Closing aborts a parked fetch at once (its promise rejects with ConnectionClosedError).
    await c?.close().catch(() => {});
    await this.loop;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const now = Date.now();
        const ready = [...this.parts.values()].filter((s) => s.delayedUntil <= now);
        if (ready.length === 0) {
          const next = Math.min(...[...this.parts.values()].map((s) => s.delayedUntil), now + 1000);
          await this.pause(Math.max(10, next - now));
          continue;
        }
        const conn = this.conn ?? (this.conn = await this.deps.connect(this.leaderId));
        if (!this.running) break;
        const truncating = ready.filter((s) => s.phase === 'truncating');
        if (truncating.length > 0) await this.truncate(conn, truncating);
        const fetching = ready.filter((s) => s.phase === 'fetching' && this.parts.get(key(s)) === s);
        if (fetching.length > 0) await this.fetch(conn, fetching);
        this.backoffMs = 0;
      } catch (err) {
        if (!this.running) break;
        this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs === 0 ? 50 : this.backoffMs * 2);
        this.deps.logger.debug({ leader: this.leaderId, err: (err as Error).message, backoffMs: this.backoffMs }, 'replica fetch failed');
        const c = this.conn;
        this.conn = null;
        await c?.close().catch(() => {});
        await this.pause(this.backoffMs);
      }
    }
  }

  /** OffsetForLeaderEpoch for each partition's latest epoch, then truncate (KIP-279). */
  private async truncate(conn: KafkaConnection, list: Followed[]): Promise<void> {
    const ask: Followed[] = [];
    for (const s of list) {
      const p = s.partition;
      if (p.log.epochs.latestEpoch === UNDEFINED_EPOCH) {
        // No epochs recorded (empty, or data from before epochs were kept): keep what was committed.
        if (p.logEndOffset > p.highWatermark) p.truncateTo(Math.max(p.highWatermark, p.logStartOffset));
        s.phase = 'fetching';
      } else ask.push(s);
    }
    if (ask.length === 0) return;
    const body: OffsetForLeaderEpochRequest = {
      replicaId: this.deps.nodeId,
      topics: groupByTopic(ask).map(([topic, ss]) => ({
        topic,
        partitions: ss.map((s) => ({ partition: s.partition.partition, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: s.partition.log.epochs.latestEpoch })),
      })),
    };
    const version = conn.versions?.pick(OffsetForLeaderEpoch) ?? OffsetForLeaderEpoch.maxVersion;
    const res = await conn.request<OffsetForLeaderEpochResponse>(OffsetForLeaderEpoch, version, body, { timeoutMs: this.deps.settings.requestTimeoutMs });
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const s = this.parts.get(partitionKey(t.topic, r.partition));
        if (s === undefined || !ask.includes(s)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.delay(s, r.errorCode);
          continue;
        }
        this.applyTruncation(s, r.leaderEpoch, r.endOffset);
      }
    }
  }

  private applyTruncation(s: Followed, leaderEpoch: number, endOffset: number): void {
    const p = s.partition;
    const leo = p.logEndOffset;
    const d = truncationOffset({ epoch: leaderEpoch, endOffset }, (e) => p.log.epochs.endOffsetFor(e, p.logEndOffset), leo, p.highWatermark);
    if (d.offset < leo) {
      this.deps.logger.info({ topic: p.topic, partition: p.partition, from: leo, to: d.offset, leaderEpoch, leaderEndOffset: endOffset }, 'truncating divergent follower log');
      if (d.offset < p.logStartOffset) p.truncateFullyAndStartAt(d.offset);
      else p.truncateTo(d.offset);
    }
    s.phase = d.done ? 'fetching' : 'truncating';
  }

  private async fetch(conn: KafkaConnection, list: Followed[]): Promise<void> {
    const st = this.deps.settings;
    const body: FetchRequest = {
      clusterId: null,
      replicaId: this.deps.nodeId,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: st.maxWaitMs,
      minBytes: st.minBytes,
      maxBytes: st.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: groupByTopic(list).map(([topic, ss]) => ({
        topic,
        topicId: ZERO_UUID,
        partitions: ss.map((s) => ({
          partition: s.partition.partition,
          currentLeaderEpoch: s.leaderEpoch,
          fetchOffset: s.partition.logEndOffset,
          lastFetchedEpoch: s.partition.log.epochs.latestEpoch,
          logStartOffset: s.partition.logStartOffset,
          partitionMaxBytes: st.maxBytes,
          replicaDirectoryId: ZERO_UUID,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
    // Remember what each partition's fetch offset was: a truncation meanwhile makes the answer stale.
    const sentAt = new Map(list.map((s) => [s, s.partition.logEndOffset]));
    const version = conn.versions?.pick(Fetch) ?? 12;
    const res = await conn.request<FetchResponse>(Fetch, version, body, { timeoutMs: st.maxWaitMs + st.requestTimeoutMs });
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch from broker ${this.leaderId} failed with error ${res.errorCode}`);
    for (const t of res.responses) {
      for (const r of t.partitions) {
        const s = this.parts.get(partitionKey(t.topic, r.partitionIndex));
        if (s === undefined || !sentAt.has(s) || sentAt.get(s) !== s.partition.logEndOffset) continue;
        const p = s.partition;
        try {
          if (r.errorCode === ErrorCode.NONE) {
            if (r.divergingEpoch.epoch >= 0 || r.divergingEpoch.endOffset >= 0) {
              this.applyTruncation(s, r.divergingEpoch.epoch, r.divergingEpoch.endOffset);
              continue;
            }
            const records = r.records === null ? EMPTY : Buffer.isBuffer(r.records) ? r.records : Buffer.concat(r.records);
            p.appendAsFollower(records, r.highWatermark, r.logStartOffset);
          } else if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            this.outOfRange(s, r.logStartOffset, r.highWatermark);
          } else {
            this.delay(s, r.errorCode);
          }
        } catch (err) {
          // A bad batch or a gap: re-check divergence from scratch after a pause.
          this.deps.logger.warn({ topic: p.topic, partition: p.partition, leader: this.leaderId, err: (err as Error).message }, 'follower append failed');
          s.phase = 'truncating';
          s.delayedUntil = Date.now() + 500;
        }
      }
    }
  }

  /** Kafka's handleOutOfRangeError: behind the leader's log start -> restart there; ahead -> cut back. */
  private outOfRange(s: Followed, leaderLogStart: number, leaderHw: number): void {
    const p = s.partition;
    if (leaderLogStart >= 0 && p.logEndOffset < leaderLogStart) {
      this.deps.logger.info({ topic: p.topic, partition: p.partition, leo: p.logEndOffset, leaderLogStart }, 'follower behind the leader log start; restarting the log there');
      p.truncateFullyAndStartAt(leaderLogStart);
    } else if (leaderHw >= 0 && p.logEndOffset > leaderHw) {
      // Ahead of the leader's log: its HW is at most its LEO, so fetching from there is in range.
      p.truncateTo(Math.max(leaderHw, p.logStartOffset));
    } else this.delay(s, ErrorCode.OFFSET_OUT_OF_RANGE);
  }

  private delay(s: Followed, code: number): void {
    const retriable = code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.UNKNOWN_LEADER_EPOCH || code === ErrorCode.FENCED_LEADER_EPOCH || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (!retriable) this.deps.logger.warn({ topic: s.partition.topic, partition: s.partition.partition, leader: this.leaderId, errorCode: code }, 'replica fetch error');
    s.delayedUntil = Date.now() + (retriable ? PARTITION_RETRY_MS : MAX_BACKOFF_MS);
  }
}

const EMPTY = Buffer.alloc(0);

function key(s: Followed): string {
  return partitionKey(s.partition.topic, s.partition.partition);
}

function groupByTopic(list: readonly Followed[]): [string, Followed[]][] {
  const m = new Map<string, Followed[]>();
  for (const s of list) {
    const arr = m.get(s.partition.topic);
    if (arr === undefined) m.set(s.partition.topic, [s]);
    else arr.push(s);
  }
  return [...m.entries()];
}
