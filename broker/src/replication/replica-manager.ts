/**
 * The replicas this broker hosts, kept in step with the metadata image: a partition whose
 * replica list names this broker gets a local log and a Partition; deleted topics lose
 * theirs; topic and broker config changes flow into log configs and append settings.
 * Also owns the delayed-operation purgatories (acks=all produce, long-poll fetch).
 */
import type { Logger } from 'pino';
import type { BrokerSettings } from '../config.js';
import { effectiveTopicConfig, toLogConfig, type TopicConfig } from '../cluster/topic-config.js';
import type { MetadataDelta, MetadataImage, PartitionState, TopicImage } from '../cluster/types.js';
import type { LogConfig, PartitionLog } from '../storage/types.js';
import { isReplicated } from './high-watermark.js';
import { Partition, type AppendConfig } from './partition.js';
import { Purgatory, partitionKey } from './purgatory.js';
import type { DelayedOutcome, PartitionReplica, ReplicaManager } from './types.js';

/** What the replica manager needs from storage's LogManager. */
export interface LogProvider {
  getOrCreate(topic: string, partition: number, config: LogConfig): PartitionLog;
  /** Close and delete the partition's data. */
  remove(topic: string, partition: number): void;
}

export interface ReplicaManagerOptions {
  readonly nodeId: number;
  readonly settings: BrokerSettings;
  readonly metadata: MetadataImage;
  readonly logs: LogProvider;
  readonly logger: Logger;
  /** Bound on waiting long-poll fetches / acks=all produces. */
  readonly maxDelayedOperations?: number;
  /** Kafka's producer.id.expiration.ms (1 day). */
  readonly producerIdExpirationMs?: number;
}

/**
 * Told when this broker gains or loses leadership of a hosted partition (including when the
 * partition is opened as leader or removed while leading). The group coordinator loads and
 * unloads __consumer_offsets partitions from these, after the Partition is in place.
 */
export type LeadershipListener = (topic: string, partition: number, isLeader: boolean) => void;

/** A delta may carry flags the cluster layer adds beyond the base contract. */
type DeltaWithFlags = MetadataDelta & { readonly brokerConfigsChanged?: boolean };

export class ReplicaManagerImpl implements ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchPurgatory: Purgatory;
  private readonly producePurgatory: Purgatory;
  private unsubscribe: (() => void) | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly leadershipListeners = new Set<LeadershipListener>();

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.fetchPurgatory = new Purgatory(opts.maxDelayedOperations ?? 10_000);
    this.producePurgatory = new Purgatory(opts.maxDelayedOperations ?? 10_000);
  }

  /** Open every hosted partition in the current image, then follow changes. */
  start(): void {
    for (const t of this.opts.metadata.topics()) for (const p of t.partitions) this.applyPartition(t, p);
    this.unsubscribe = this.opts.metadata.onChange((d) => this.applyDelta(d));
    const expiryMs = this.opts.producerIdExpirationMs ?? 24 * 60 * 60 * 1000;
    this.expiryTimer = setInterval(() => {
      const cutoff = Date.now() - expiryMs;
      for (const p of this.partitions.values()) p.producers.expireIdle(cutoff);
    }, Math.min(expiryMs, 10 * 60 * 1000));
    this.expiryTimer.unref();
    this.opts.logger.info({ partitions: this.partitions.size }, 'replicas loaded');
  }

  /** Answer every waiting delayed operation now and stop following metadata. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.fetchPurgatory.shutdown();
    this.producePurgatory.shutdown();
  }

  /** Follow leadership changes of hosted partitions; returns the unsubscribe function. */
  onLeadershipChange(listener: LeadershipListener): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  private emitLeadership(topic: string, partition: number, isLeader: boolean): void {
    for (const l of this.leadershipListeners) {
      try {
        l(topic, partition, isLeader);
      } catch (err) {
        this.opts.logger.error({ err, topic, partition }, 'leadership listener failed');
      }
    }
  }

  partition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  waitForReplication(replica: PartitionReplica, lastOffset: number, timeoutMs: number): Promise<DelayedOutcome> {
    return this.producePurgatory.watch([partitionKey(replica.topic, replica.partition)], timeoutMs, () =>
      isReplicated(replica.highWatermark, lastOffset),
    );
  }

  waitForData(replicas: readonly PartitionReplica[], bytesNeeded: number, maxWaitMs: number): Promise<DelayedOutcome> {
    const start = replicas.map((r) => r.bytesAppended);
    const keys = replicas.map((r) => partitionKey(r.topic, r.partition));
    return this.fetchPurgatory.watch(keys, maxWaitMs, () => {
      let n = 0;
      for (let i = 0; i < replicas.length; i++) n += (replicas[i] as PartitionReplica).bytesAppended - (start[i] as number);
      return n >= bytesNeeded;
    });
  }

  private onAppend = (p: Partition): void => {
    const key = partitionKey(p.topic, p.partition);
    this.producePurgatory.checkAndComplete(key);
    this.fetchPurgatory.checkAndComplete(key);
  };

  private topicConfig(t: TopicImage): TopicConfig {
    return effectiveTopicConfig(this.opts.settings, this.opts.metadata.brokerConfigs(), t.configs);
  }

  private applyDelta(delta: DeltaWithFlags): void {
    for (const t of delta.topicsDeleted) {
      for (const p of t.partitions) this.removePartition(t.name, p.partition, true);
    }
    for (const name of delta.topicsCreated) {
      const t = this.opts.metadata.topic(name);
      if (t) for (const p of t.partitions) this.applyPartition(t, p);
    }
    for (const state of delta.partitionsChanged) {
      const t = this.opts.metadata.topic(state.topic);
      if (t) this.applyPartition(t, state);
    }
    const reconfigure = delta.brokerConfigsChanged ? [...this.opts.metadata.topics()].map((t) => t.name) : delta.topicConfigsChanged;
    for (const name of reconfigure) {
      const t = this.opts.metadata.topic(name);
      if (t) this.reconfigure(t);
    }
  }

  private applyPartition(t: TopicImage, state: PartitionState): void {
    const key = partitionKey(t.name, state.partition);
    const existing = this.partitions.get(key);
    if (!state.replicas.includes(this.opts.nodeId)) {
      if (existing) this.removePartition(t.name, state.partition, true);
      return;
    }
    if (existing) {
      const wasLeader = existing.isLeader;
      existing.updateState(state.leader, state.leaderEpoch, state.isr);
      if (wasLeader !== existing.isLeader) this.emitLeadership(t.name, state.partition, existing.isLeader);
      return;
    }
    const cfg = this.topicConfig(t);
    try {
      const log = this.opts.logs.getOrCreate(t.name, state.partition, toLogConfig(cfg));
      const p = new Partition({
        topic: t.name,
        partition: state.partition,
        log,
        localBrokerId: this.opts.nodeId,
        leaderId: state.leader,
        leaderEpoch: state.leaderEpoch,
        isr: state.isr,
        config: appendConfig(cfg),
        onAppend: this.onAppend,
      });
      const seen = p.loadProducerState();
      this.partitions.set(key, p);
      this.opts.logger.debug({ topic: t.name, partition: state.partition, leo: p.logEndOffset, producers: p.producers.size, batchesScanned: seen }, 'partition opened');
      if (p.isLeader) this.emitLeadership(t.name, state.partition, true);
    } catch (err) {
      this.opts.logger.error({ err, topic: t.name, partition: state.partition }, 'failed to open partition');
    }
  }

  private reconfigure(t: TopicImage): void {
    const cfg = this.topicConfig(t);
    const logConfig = toLogConfig(cfg);
    for (const s of t.partitions) {
      const p = this.partitions.get(partitionKey(t.name, s.partition));
      if (!p) continue;
      p.config = appendConfig(cfg);
      p.log.config = logConfig;
    }
  }

  private removePartition(topic: string, partition: number, deleteData: boolean): void {
    const key = partitionKey(topic, partition);
    const p = this.partitions.get(key);
    if (!p) return;
    this.partitions.delete(key);
    if (p.isLeader) this.emitLeadership(topic, partition, false);
    try {
      if (deleteData) this.opts.logs.remove(topic, partition);
    } catch (err) {
      this.opts.logger.error({ err, topic, partition }, 'failed to delete partition data');
    }
    this.opts.logger.debug({ topic, partition }, 'partition removed');
  }
}

function appendConfig(c: TopicConfig): AppendConfig {
  return {
    maxMessageBytes: c.maxMessageBytes,
    timestampType: c.timestampType,
    minInsyncReplicas: c.minInsyncReplicas,
    segmentBytes: c.segmentBytes,
  };
}
