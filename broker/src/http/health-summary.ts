/**
 * Cluster health as this broker sees it, computed from the introspection port in one pass
 * over the metadata. Shared by /metrics, /v1/cluster and /readyz so the three can never
 * disagree about what "under-replicated" means.
 */
import type { PartitionState, TopicImage } from '../cluster/types.js';
import type { BrokerIntrospection, LocalReplicaView } from './introspection.js';

export interface HostedPartition {
  readonly topic: TopicImage;
  readonly state: PartitionState;
  /** undefined while the replica manager has not opened the log yet. */
  readonly replica: LocalReplicaView | undefined;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface HealthSummary {
  readonly topics: number;
  readonly partitions: number;
  /** Partitions whose replica list contains this broker. */
  readonly hosted: readonly HostedPartition[];
  /** Partitions the image names this broker leader of. */
  readonly led: number;
  /** Led here with ISR smaller than the replica set (Kafka reports these on the leader). */
  readonly underReplicated: number;
  /** Led here with ISR below the topic's effective min.insync.replicas. */
  readonly underMinIsr: number;
  /** Partitions anywhere in the cluster without a leader (leader -1). */
  readonly offline: number;
  /**
   * Partitions this broker follows but is not in the ISR of. Replicas being added or removed
   * by a reassignment are left out (they were never "back in" the ISR, and a long reassignment
   * must not make the broker unready), and so are offline partitions (no leader to catch up
   * from: counting them could block a rolling restart forever).
   */
  readonly followerNotInIsr: readonly TopicPartitionRef[];
}

export function summarizeHealth(intro: BrokerIntrospection): HealthSummary {
  const self = intro.self().nodeId;
  const hosted: HostedPartition[] = [];
  const followerNotInIsr: TopicPartitionRef[] = [];
  let topics = 0;
  let partitions = 0;
  let led = 0;
  let underReplicated = 0;
  let underMinIsr = 0;
  let offline = 0;
  for (const topic of intro.topics()) {
    topics++;
    let minIsr: number | null = null;
    for (const state of topic.partitions) {
      partitions++;
      if (state.leader === -1) offline++;
      if (state.leader === self) {
        led++;
        if (state.isr.length < state.replicas.length) underReplicated++;
        minIsr ??= intro.minInsyncReplicas(topic);
        if (state.isr.length < minIsr) underMinIsr++;
      }
      if (!state.replicas.includes(self)) continue;
      hosted.push({ topic, state, replica: intro.localReplica(topic.name, state.partition) });
      const moving = state.addingReplicas.includes(self) || state.removingReplicas.includes(self);
      if (state.leader !== self && state.leader !== -1 && !moving && !state.isr.includes(self)) {
        followerNotInIsr.push({ topic: topic.name, partition: state.partition });
      }
    }
  }
  return { topics, partitions, hosted, led, underReplicated, underMinIsr, offline, followerNotInIsr };
}
