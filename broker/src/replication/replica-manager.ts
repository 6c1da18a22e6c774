/**
 * The replicas this broker hosts, kept in step with the metadata image: a partition whose
 * replica list names this broker gets a local log and a Partition; deleted topics lose
 * theirs; topic and broker config changes flow into log configs and append settings.
 * Also owns the delayed-operation purgatories (acks=all produce, long-poll fetch).
 */
import type { Logger } from 'pino';
import type { BrokerSettings } from '../config.js';
import { effectiveTopicConfig, toLogConfig, type TopicConfig } from '../cluster/topic-config.js';
import type { PartitionStateWriter } from '../cluster/partition-state-writer.js';
import type { ClusterMembership, MetadataDelta, MetadataImage, PartitionState, TopicImage } from '../cluster/types.js';
import type { LogConfig, PartitionLog } from '../storage/types.js';
import { connectViaImage, FetcherManager, type ConnectToBroker } from './fetcher-manager.js';
import { IsrUpdater } from './isr-updater.js';
import { Partition, type AckState, type AppendConfig } from './partition.js';
import { Purgatory, partitionKey } from './purgatory.js';
import type { DelayedOutcome, PartitionReplica, ReplicaManager, ReplicationOutcome } from './types.js';

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
  /** Registry session: while invalid this broker does not act as a leader (default: always valid). */
  readonly membership?: ClusterMembership;
  /** ISR shrink/expand writes; absent on a single broker (an ISR of one never changes). */
  readonly isrWriter?: PartitionStateWriter;
  /** Dedicated connections for replica fetchers (default: the broker's registered address). */
  readonly connect?: ConnectToBroker;
}

/** How often leaders write their HW into the partition checkpoint (Kafka: 5 s). */
const HW_CHECKPOINT_INTERVAL_MS = 5000;

/**
 * Told when this broker gains or loses leadership of a hosted partition (including when the
 * partition is opened as leader or removed while leading). The group coordinator loads and
 * unloads __consumer_offsets partitions from these, after the Partition is in place.
 */
export type LeadershipListener = (topic: string, partition: number, isLeader: boolean) => void;

/** Told when the ISR of a partition led here loses ('shrink') or gains ('expand') members. */
export type IsrChangeListener = (change: 'shrink' | 'expand', topic: string, partition: number) => void;

/** A delta may carry flags the cluster layer adds beyond the base contract. */
type DeltaWithFlags = MetadataDelta & { readonly brokerConfigsChanged?: boolean };

export class ReplicaManagerImpl implements ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchPurgatory: Purgatory;
  private readonly producePurgatory: Purgatory;
  private unsubscribe: (() => void) | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly leadershipListeners = new Set<LeadershipListener>();
  private readonly isrListeners = new Set<IsrChangeListener>();
  /**
   * ISR of partitions led here as last seen in the metadata (not the Partition's own copy,
   * which a leader may change before the metadata catches up), to detect shrinks/expands.
   */
  private readonly ledIsr = new Map<string, readonly number[]>();
  private readonly fetchers: FetcherManager;
  private readonly isrUpdater: IsrUpdater;
  private readonly canLead: () => boolean;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly opts: ReplicaManagerOptions) {
    this.fetchPurgatory = new Purgatory(opts.maxDelayedOperations ?? 10_000);
    this.producePurgatory = new Purgatory(opts.maxDelayedOperations ?? 10_000);
    const membership = opts.membership;
    this.canLead = membership === undefined ? () => true : () => membership.isSessionValid();
    const s = opts.settings;
    const requestTimeoutMs = 30_000;
    const fetcherSettings = {
      maxBytes: s['replica.fetch.max.bytes'],
      responseMaxBytes: s['replica.fetch.response.max.bytes'],
      maxWaitMs: s['replica.fetch.wait.max.ms'],
      minBytes: s['replica.fetch.min.bytes'],
      requestTimeoutMs,
    };
    const connect =
      opts.connect ??
      connectViaImage(opts.metadata, {
        clientId: `strand-replica-fetcher-${opts.nodeId}`,
        requestTimeoutMs,
        maxResponseBytes: s['replica.fetch.response.max.bytes'] + s['replica.fetch.max.bytes'] + 1024 * 1024,
        logger: opts.logger,
      });
    this.fetchers = new FetcherManager(opts.nodeId, fetcherSettings, connect, opts.logger);
    this.isrUpdater = new IsrUpdater(opts.isrWriter ?? null, s['replica.lag.time.max.ms'], opts.logger, (p) => this.wakeDelayed(p));
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
    // Kafka's isr-expiration task: every half lag period, leaders drop followers that fell behind.
    const lag = this.opts.settings['replica.lag.time.max.ms'];
    const shrink = setInterval(() => {
      for (const p of this.partitions.values()) if (p.leading !== null) this.isrUpdater.maybeUpdate(p, this.canLead());
    }, Math.max(100, Math.floor(lag / 2)));
    const checkpoint = setInterval(() => this.checkpointHighWatermarks(true), HW_CHECKPOINT_INTERVAL_MS);
    this.timers = [shrink, checkpoint];
    for (const t of this.timers) t.unref();
    this.opts.logger.info({ partitions: this.partitions.size }, 'replicas loaded');
  }

  /** Answer every waiting delayed operation now and stop following metadata. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    void this.fetchers.shutdown();
    this.checkpointHighWatermarks(false);
    this.fetchPurgatory.shutdown();
    this.producePurgatory.shutdown();
  }

  /** Follow leadership changes of hosted partitions; returns the unsubscribe function. */
  onLeadershipChange(listener: LeadershipListener): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  /** Count ISR shrinks/expands of partitions led here (metrics); returns the unsubscribe function. */
  onIsrChange(listener: IsrChangeListener): () => void {
    this.isrListeners.add(listener);
    return () => this.isrListeners.delete(listener);
  }

  /** Delayed operations waiting now (metrics). */
  purgatorySizes(): { produce: number; fetch: number } {
    return { produce: this.producePurgatory.size, fetch: this.fetchPurgatory.size };
  }

  private noteIsr(key: string, topic: string, state: PartitionState): void {
    if (state.leader !== this.opts.nodeId) {
      this.ledIsr.delete(key);
      return;
    }
    const before = this.ledIsr.get(key);
    this.ledIsr.set(key, state.isr);
    // No baseline when leadership just arrived: that is a leader change, not an ISR change.
    if (before === undefined || this.isrListeners.size === 0) return;
    const shrank = before.some((id) => !state.isr.includes(id));
    const expanded = state.isr.some((id) => !before.includes(id));
    for (const l of this.isrListeners) {
      try {
        if (shrank) l('shrink', topic, state.partition);
        if (expanded) l('expand', topic, state.partition);
      } catch (err) {
        this.opts.logger.error({ err, topic, partition: state.partition }, 'ISR change listener failed');
      }
    }
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

  async waitForReplication(replica: PartitionReplica, lastOffset: number, timeoutMs: number): Promise<ReplicationOutcome> {
    const key = partitionKey(replica.topic, replica.partition);
    const p = this.partitions.get(key);
    if (p === undefined || p !== replica) return 'NOT_LEADER_OR_FOLLOWER';
    // A replica removed from this broker (reassignment, topic deletion) keeps its last role, so
    // ask the map too: its waiting produces must answer now, not at their timeout.
    const stateNow = (): AckState => (this.partitions.get(key) === p ? p.ackState(lastOffset) : 'NOT_LEADER_OR_FOLLOWER');
    let state: AckState = 'pending';
    const outcome = await this.producePurgatory.watch([key], timeoutMs, () => {
      state = stateNow();
      return state !== 'pending';
    });
    // The last check's verdict, unless the wait timed out or the broker is stopping.
    const final = stateNow();
    if (final !== 'pending') return final;
    return outcome === 'completed' ? (state === 'pending' ? 'expired' : state) : outcome;
  }

  waitForData(replicas: readonly PartitionReplica[], bytesNeeded: number, maxWaitMs: number, follower = false): Promise<DelayedOutcome> {
    // Consumers wake when data becomes readable (the HW passed it); followers on any append.
    const bytes = follower ? (r: PartitionReplica) => r.bytesAppended : (r: PartitionReplica) => r.bytesCommitted;
    const start = replicas.map(bytes);
    const keys = replicas.map((r) => partitionKey(r.topic, r.partition));
    return this.fetchPurgatory.watch(keys, maxWaitMs, () => {
      let n = 0;
      for (let i = 0; i < replicas.length; i++) {
        const r = replicas[i] as PartitionReplica;
        // A replica that lost leadership answers at once (the client then learns the new leader).
        if (!r.isLeader) return true;
        n += bytes(r) - (start[i] as number);
      }
      return n >= bytesNeeded;
    });
  }

  recordFollowerFetch(replica: PartitionReplica, followerId: number, fetchOffset: number): boolean {
    const p = this.partitions.get(partitionKey(replica.topic, replica.partition));
    if (p === undefined || p !== replica) return false;
    if (!p.recordFollowerFetch(followerId, fetchOffset)) return false;
    this.isrUpdater.maybeUpdate(p, this.canLead(), followerId);
    return true;
  }

  private wakeDelayed(p: Partition): void {
    const key = partitionKey(p.topic, p.partition);
    this.producePurgatory.checkAndComplete(key);
    this.fetchPurgatory.checkAndComplete(key);
  }

  private onAppend = (p: Partition): void => this.wakeDelayed(p);

  /** The HW moved: acks=all produces and consumer long polls may complete; remember it for restarts. */
  private onHighWatermark = (p: Partition): void => {
    p.log.checkpointHighWatermark(p.highWatermark, false);
    this.wakeDelayed(p);
  };

  private checkpointHighWatermarks(persist: boolean): void {
    for (const p of this.partitions.values()) {
      if (p.replicas.length <= 1) continue;
      try {
        p.log.checkpointHighWatermark(p.highWatermark, persist);
      } catch (err) {
        this.opts.logger.warn({ err, topic: p.topic, partition: p.partition }, 'high watermark checkpoint failed');
      }
    }
  }

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
    const self = this.opts.nodeId;
    if (!state.replicas.includes(self) && !state.addingReplicas.includes(self)) {
      if (existing) this.removePartition(t.name, state.partition, true);
      return;
    }
    if (existing) {
      const wasLeader = existing.isLeaderRole;
      const change = existing.applyState(state);
      this.noteIsr(key, t.name, state);
      if (change === 'role') this.onRoleChange(existing, wasLeader);
      else if (change === 'isr' && existing.leading !== null) this.isrUpdater.maybeUpdate(existing, this.canLead());
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
        replicas: state.replicas,
        config: appendConfig(cfg),
        onAppend: this.onAppend,
        onHighWatermark: this.onHighWatermark,
        canLead: this.canLead,
      });
      p.applyState(state); // same epoch: records the partition epoch
      const seen = p.loadProducerState();
      this.partitions.set(key, p);
      this.noteIsr(key, t.name, state);
      this.opts.logger.debug({ topic: t.name, partition: state.partition, leo: p.logEndOffset, producers: p.producers.size, batchesScanned: seen }, 'partition opened');
      if (p.isLeaderRole) this.emitLeadership(t.name, state.partition, true);
      else this.fetchers.follow(p);
    } catch (err) {
      this.opts.logger.error({ err, topic: t.name, partition: state.partition }, 'failed to open partition');
    }
  }

  /**
   * A new leader or leader epoch (contract: "Replica roles from the image"). Leader: stop
   * fetching (the Partition already recorded the epoch start and reset follower state).
   * Follower: fetch from the new leader, truncating first. Leadership listeners hear of every
   * change, and of a new epoch while leading too (as lose + gain), so the group coordinator
   * reloads state another leader may have written in between.
   */
  private onRoleChange(p: Partition, wasLeader: boolean): void {
    if (wasLeader) this.emitLeadership(p.topic, p.partition, false);
    if (p.isLeaderRole) {
      this.fetchers.unfollow(p.topic, p.partition);
      this.emitLeadership(p.topic, p.partition, true);
    } else {
      this.fetchers.follow(p);
    }
    // Waiting produces and fetches learn the new role now rather than at their timeout.
    this.wakeDelayed(p);
    this.opts.logger.info({ topic: p.topic, partition: p.partition, leader: p.leaderId, leaderEpoch: p.leaderEpoch, role: p.isLeaderRole ? 'leader' : 'follower' }, 'partition role changed');
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
    this.ledIsr.delete(key);
    this.fetchers.unfollow(topic, partition);
    this.wakeDelayed(p);
    if (p.isLeaderRole) this.emitLeadership(topic, partition, false);
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
