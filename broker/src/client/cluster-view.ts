/**
 * The client's picture of the cluster, built from Metadata responses: brokers, controller,
 * and per-partition leaders. Only routing uses it; callers get the full responses.
 */
import type { MetadataResponse } from '../protocol/messages/metadata.js';
import { ErrorCode } from '../protocol/errors.js';

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly errorCode: number;
  readonly partitions: ReadonlyMap<number, PartitionInfo>;
}

export class ClusterView {
  brokers: ReadonlyMap<number, BrokerInfo> = new Map();
  controllerId = -1;
  clusterId: string | null = null;
  private readonly topicMap = new Map<string, TopicInfo>();
  /** When the last successful refresh happened (0 = never). */
  updatedAt = 0;

  get topics(): ReadonlyMap<string, TopicInfo> {
    return this.topicMap;
  }

  /**
   * Applies a Metadata response. `requested` null means "all topics": topics not listed are
   * gone. Topics answered with UNKNOWN_TOPIC_OR_PARTITION are dropped.
   */
  apply(res: MetadataResponse, requested: readonly string[] | null): void {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of res.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    this.brokers = brokers;
    this.controllerId = res.controllerId;
    this.clusterId = res.clusterId;
    if (requested === null) this.topicMap.clear();
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION) {
        this.topicMap.delete(t.name);
        continue;
      }
      const partitions = new Map<number, PartitionInfo>();
      for (const p of t.partitions) {
        partitions.set(p.partitionIndex, {
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          leaderId: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
        });
      }
      this.topicMap.set(t.name, { name: t.name, topicId: t.topicId, errorCode: t.errorCode, partitions });
    }
    this.updatedAt = Date.now();
  }

  forgetTopic(name: string): void {
    this.topicMap.delete(name);
  }

  address(brokerId: number): string | undefined {
    const b = this.brokers.get(brokerId);
    return b === undefined ? undefined : `${b.host}:${b.port}`;
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topicMap.get(topic)?.partitions.get(partition);
  }
}
