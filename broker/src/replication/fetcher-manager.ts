/**
 * Which ReplicaFetcher follows which partition: one fetcher per leader broker, created on
 * first use and stopped when it has nothing left to follow. A partition moves between
 * fetchers when its leader changes, and is re-added (so it truncates again) on a new epoch.
 */
import type { Logger } from 'pino';
import { KafkaConnection } from '../client/connection.js';
import type { MetadataImage } from '../cluster/types.js';
import type { Partition } from './partition.js';
import { partitionKey } from './purgatory.js';
import { ReplicaFetcher, type FetcherSettings } from './replica-fetcher.js';

export type ConnectToBroker = (brokerId: number) => Promise<KafkaConnection>;

export class FetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private readonly followedBy = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly nodeId: number,
    private readonly settings: FetcherSettings,
    private readonly connect: ConnectToBroker,
    private readonly logger: Logger,
  ) {}

  /** Follow `p` from its current leader at its current epoch. */
  follow(p: Partition): void {
    this.unfollow(p.topic, p.partition);
    if (this.closed || p.leaderId < 0 || p.isLeaderRole) return;
    let f = this.fetchers.get(p.leaderId);
    if (f === undefined) {
      f = new ReplicaFetcher(p.leaderId, { nodeId: this.nodeId, settings: this.settings, connect: this.connect, logger: this.logger });
      this.fetchers.set(p.leaderId, f);
    }
    f.add(p);
    this.followedBy.set(partitionKey(p.topic, p.partition), p.leaderId);
  }

  unfollow(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    const leader = this.followedBy.get(key);
    if (leader === undefined) return;
    this.followedBy.delete(key);
    const f = this.fetchers.get(leader);
    if (f === undefined) return;
    f.remove(topic, partition);
    if (f.size === 0) {
      this.fetchers.delete(leader);
      void f.stop();
    }
  }

  /** Leader ids with a running fetcher (tests, introspection). */
  leaders(): number[] {
    return [...this.fetchers.keys()];
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.followedBy.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}

/** A dedicated, version-negotiated connection to a broker at its registered address. */
export function connectViaImage(image: MetadataImage, opts: { clientId: string; requestTimeoutMs: number; maxResponseBytes: number; logger?: Logger }): ConnectToBroker {
  return async (brokerId) => {
    const b = image.broker(brokerId);
    if (b === undefined) throw new Error(`broker ${brokerId} is not registered`);
    const conn = await KafkaConnection.connect({
      host: b.host,
      port: b.port,
      clientId: opts.clientId,
      connectTimeoutMs: 5000,
      requestTimeoutMs: opts.requestTimeoutMs,
      maxResponseBytes: opts.maxResponseBytes,
      maxInFlight: 4,
      maxQueued: 16,
      ...(opts.logger !== undefined && { logger: opts.logger }),
    });
    try {
      await conn.negotiateVersions({ timeoutMs: opts.requestTimeoutMs });
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  };
}
