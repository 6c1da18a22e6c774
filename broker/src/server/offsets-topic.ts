/**
 * The group coordinator's ports on the real broker: `__consumer_offsets` is an ordinary
 * partitioned log served by the ReplicaManager, so group state is written with the same
 * append path as produced records (acks=all: appendAsLeader, then wait for the HW) and
 * survives restarts (and will replicate once replication exists). Leadership changes of its
 * partitions, as the ReplicaManager applies metadata deltas, load and unload them in the
 * coordinator. The topic is created on first use through the Controller, as Kafka does.
 */
import type { Logger } from 'pino';
import type { BrokerSettings } from '../config.js';
import { ControllerError, type Controller, type MetadataImage } from '../cluster/types.js';
import { GroupCoordinator } from '../coordinator/group-coordinator.js';
import { systemScheduler } from '../coordinator/scheduler.js';
import type { EndOffsetLookup, OffsetsPartitionLog, OffsetsTopicPort } from '../coordinator/types.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { LOG_OVERHEAD, OFF_BASE_OFFSET, OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA } from '../protocol/records/batch-header.js';
import { PartitionError } from '../replication/errors.js';
import type { LeadershipListener } from '../replication/replica-manager.js';
import type { PartitionReplica, ReplicaManager } from '../replication/types.js';
import { OffsetOutOfRangeError } from '../storage/types.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Kafka's offsets.commit.timeout.ms: how long a group write waits for the ISR. */
const COMMIT_TIMEOUT_MS = 5000;
/** Bytes per read while replaying a partition at load. */
const LOAD_READ_BYTES = 1024 * 1024;
/** Kafka's offsets.topic.segment.bytes: smaller segments than user topics, for compaction. */
const OFFSETS_SEGMENT_BYTES = 100 * 1024 * 1024;

/** What the adapter needs from the replica manager (ReplicaManagerImpl provides it). */
export interface OffsetsReplicaSource extends ReplicaManager {
  onLeadershipChange(listener: LeadershipListener): () => void;
}

function asKafkaError(e: unknown): KafkaError {
  if (e instanceof KafkaError) return e;
  if (e instanceof PartitionError) return new KafkaError(ErrorCode[e.kind], e.message);
  return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, e instanceof Error ? e.message : String(e));
}

/** The offset after the last whole batch in `chunk` (chunks hold whole stored batches). */
function nextOffsetAfter(chunk: Buffer, fallback: number): number {
  let next = fallback;
  for (let pos = 0; pos + LOG_OVERHEAD <= chunk.length; ) {
    const base = Number(chunk.readBigInt64BE(pos + OFF_BASE_OFFSET));
    next = base + chunk.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) + 1;
    pos += LOG_OVERHEAD + chunk.readInt32BE(pos + OFF_BATCH_LENGTH);
  }
  return next;
}

/** One __consumer_offsets partition as the coordinator sees it, on a local replica. */
class ReplicaOffsetsLog implements OffsetsPartitionLog {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly replica: PartitionReplica,
  ) {}

  get logStartOffset(): number {
    return this.replica.logStartOffset;
  }
  get logEndOffset(): number {
    return this.replica.logEndOffset;
  }
  /** The replica's real HW (the coordinator's load bound is the LEO: see GroupStore.load). */
  get highWatermark(): number {
    return this.replica.highWatermark;
  }

  async append(batch: Buffer): Promise<number> {
    let lastOffset: number;
    let firstOffset: number;
    try {
      const out = this.replica.appendAsLeader(batch, -1);
      firstOffset = out.firstOffset;
      lastOffset = out.lastOffset;
    } catch (e) {
      throw asKafkaError(e);
    }
    const outcome = await this.replicas.waitForReplication(this.replica, lastOffset, COMMIT_TIMEOUT_MS);
    if (outcome === 'expired') throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'group write not replicated in time');
    // The broker is stopping: the coordinator maps this to NOT_COORDINATOR.
    if (outcome === 'shutdown') throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'broker shutting down');
    if (outcome !== 'completed') throw new KafkaError(ErrorCode[outcome], `group write not replicated: ${outcome}`);
    return firstOffset;
  }

  /**
   * Whole batches from `offset` up to the LEO at each step, as Kafka's coordinator loads. After
   * a failover the new leader's HW lags until its followers fetch, but everything it holds is
   * what will be committed (followers truncate to it); stopping at the HW could drop offset
   * commits the old leader had acknowledged.
   */
  async *readFrom(offset: number): AsyncIterable<Buffer> {
    let next = Math.max(offset, this.replica.logStartOffset);
    while (next < this.replica.logEndOffset) {
      let chunks: Buffer[];
      try {
        chunks = this.replica.readForFollower(next, LOAD_READ_BYTES, true).chunks;
      } catch (e) {
        if (e instanceof OffsetOutOfRangeError) return;
        throw asKafkaError(e);
      }
      if (chunks.length === 0) return;
      const before = next;
      for (const c of chunks) {
        yield c;
        next = nextOffsetAfter(c, next);
      }
      if (next <= before) return; // no progress: never spin
      // Reads are synchronous and decoding resolves in microtasks: without a macrotask break a
      // large partition would replay in one event-loop turn, stalling every connection and
      // probe (/readyz could not even say it is loading) until done.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

export interface OffsetsTopicOptions {
  readonly nodeId: number;
  readonly settings: BrokerSettings;
  readonly metadata: MetadataImage;
  readonly controller: Controller;
  readonly replicas: OffsetsReplicaSource;
}

/** Where a group's coordinator is, for FindCoordinator. */
export interface CoordinatorLocation {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export class ReplicaOffsetsTopic implements OffsetsTopicPort {
  private readonly logs = new WeakMap<PartitionReplica, ReplicaOffsetsLog>();

  constructor(private readonly opts: OffsetsTopicOptions) {}

  isLocalLeader(partition: number): boolean {
    return this.opts.replicas.partition(OFFSETS_TOPIC, partition)?.isLeader ?? false;
  }

  partitionLog(partition: number): OffsetsPartitionLog | undefined {
    const r = this.opts.replicas.partition(OFFSETS_TOPIC, partition);
    if (r === undefined) return undefined;
    let log = this.logs.get(r);
    if (log === undefined) {
      log = new ReplicaOffsetsLog(this.opts.replicas, r);
      this.logs.set(r, log);
    }
    return log;
  }

  async ensureTopic(): Promise<void> {
    if (this.opts.metadata.topic(OFFSETS_TOPIC) !== undefined) return;
    const s = this.opts.settings;
    // Kafka: min(offsets.topic.replication.factor, live brokers), so a small cluster still gets one.
    const rf = Math.max(1, Math.min(s['offsets.topic.replication.factor'], this.opts.metadata.brokers().length));
    try {
      await this.opts.controller.createTopic(
        {
          name: OFFSETS_TOPIC,
          numPartitions: s['offsets.topic.num.partitions'],
          replicationFactor: rf,
          assignments: [],
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(OFFSETS_SEGMENT_BYTES) },
        },
        false,
      );
    } catch (err) {
      // Another request (or broker) created it first.
      if (!(err instanceof ControllerError && err.kind === 'TOPIC_ALREADY_EXISTS')) throw err;
    }
  }

  /** The broker leading the partition that owns `groupId`'s __consumer_offsets partition. */
  locate(partition: number): CoordinatorLocation {
    const state = this.opts.metadata.topic(OFFSETS_TOPIC)?.partitions[partition];
    const leader = state?.leader ?? -1;
    const broker = leader >= 0 ? this.opts.metadata.broker(leader) : undefined;
    if (broker === undefined) {
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.', nodeId: -1, host: '', port: -1 };
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: broker.id, host: broker.host, port: broker.port };
  }
}

/** End offsets for consumer lag: the HW of the local replica (what a consumer can reach). */
export function replicaEndOffsets(replicas: ReplicaManager): EndOffsetLookup {
  return { endOffset: (topic, partition) => replicas.partition(topic, partition)?.highWatermark };
}

export interface GroupServices {
  readonly coordinator: GroupCoordinator;
  readonly offsetsTopic: ReplicaOffsetsTopic;
  stop(): Promise<void>;
}

/**
 * Build and start the coordinator over this broker's replicas. Loading runs in the
 * background (groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile), so it never delays
 * the listener.
 */
export function startGroupServices(opts: OffsetsTopicOptions, logger: Logger): GroupServices {
  const s = opts.settings;
  const offsetsTopic = new ReplicaOffsetsTopic(opts);
  const coordinator = new GroupCoordinator({
    port: offsetsTopic,
    scheduler: systemScheduler,
    endOffsets: replicaEndOffsets(opts.replicas),
    logger,
    lazyTopicCreation: true,
    config: {
      offsetsTopicPartitions: s['offsets.topic.num.partitions'],
      groupMinSessionTimeoutMs: s['group.min.session.timeout.ms'],
      groupMaxSessionTimeoutMs: s['group.max.session.timeout.ms'],
      groupInitialRebalanceDelayMs: s['group.initial.rebalance.delay.ms'],
      groupMaxSize: s['group.max.size'],
      offsetsRetentionMs: s['offsets.retention.minutes'] * 60_000,
      offsetsRetentionCheckIntervalMs: s['offsets.retention.check.interval.ms'],
      offsetMetadataMaxBytes: s['offset.metadata.max.bytes'],
    },
  });
  const unsubscribe = opts.replicas.onLeadershipChange((topic, partition, isLeader) => {
    if (topic !== OFFSETS_TOPIC) return;
    if (!isLeader) {
      coordinator.unloadPartition(partition);
      return;
    }
    coordinator.loadPartition(partition).catch((err: unknown) => logger.error({ err, partition }, 'loading __consumer_offsets partition failed'));
  });
  const started = coordinator.start().catch((err: unknown) => logger.error({ err }, 'group coordinator failed to start'));
  return {
    coordinator,
    offsetsTopic,
    stop: async () => {
      unsubscribe();
      await started;
      await coordinator.shutdown();
    },
  };
}
