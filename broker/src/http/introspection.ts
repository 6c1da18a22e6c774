/**
 * The read-only port the HTTP layer sees the broker through. The composition root
 * (broker.ts) implements it over the MetadataImage, the ReplicaManager, the controller
 * lease and the group coordinator; nothing here can change broker state.
 *
 * Every method is synchronous and must be cheap: it is called on each scrape and each
 * /v1 or /readyz request, and all of this state already lives in memory on the broker.
 * Shapes reuse the cluster contracts (TopicImage, BrokerRegistration) so the wiring can
 * hand the image's objects through unchanged.
 */
import type { BrokerRegistration, TopicImage } from '../cluster/types.js';

export interface BrokerSelf {
  readonly nodeId: number;
  /** The Strand version (package.json). */
  readonly version: string;
  readonly rack: string | null;
  readonly clusterId: string;
}

/**
 * What this broker knows of a partition it hosts a replica of. Deliberately a structural
 * subset of replication's PartitionReplica, so `replicas.partition(t, p)` satisfies it.
 */
export interface LocalReplicaView {
  readonly isLeader: boolean;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly log: { readonly sizeInBytes: number };
}

export interface ControllerStatus {
  /** The active controller's broker id, -1 when there is none. */
  readonly controllerId: number;
  /** True when this broker holds the controller lease. */
  readonly isActive: boolean;
  /** Epoch of the current controller lease (-1 when unknown). */
  readonly epoch: number;
}

export interface PurgatorySizes {
  /** acks=all produces waiting for the HW. */
  readonly produce: number;
  /** Long-poll fetches waiting for data. */
  readonly fetch: number;
}

/** Kafka's group states, as DescribeGroups names them. */
export const GROUP_STATES = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] as const;
export type GroupState = (typeof GROUP_STATES)[number];

export interface GroupMemberView {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface GroupOffsetView {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset: number;
}

/** A consumer group this broker coordinates. */
export interface GroupView {
  readonly groupId: string;
  readonly state: GroupState;
  /** e.g. "consumer"; null for groups that only commit offsets. */
  readonly protocolType: string | null;
  /** The chosen assignor, e.g. "range"; null outside Stable/CompletingRebalance. */
  readonly protocol: string | null;
  readonly generationId: number;
  readonly members: readonly GroupMemberView[];
  readonly offsets: readonly GroupOffsetView[];
}

/** Facts /readyz needs that the metadata image cannot tell. */
export interface ReadinessFacts {
  /** This broker's registration is live in the broker registry. */
  readonly registered: boolean;
  /** The metadata image has applied the store's initial snapshot. */
  readonly metadataLoaded: boolean;
  /** __consumer_offsets partitions this broker coordinates whose groups are still loading. */
  readonly coordinatorPartitionsLoading: readonly number[];
}

export interface BrokerIntrospection {
  self(): BrokerSelf;
  brokers(): readonly BrokerRegistration[];
  topics(): Iterable<TopicImage>;
  topic(name: string): TopicImage | undefined;
  /** The local replica, or undefined when this broker hosts none (or has not opened it yet). */
  localReplica(topic: string, partition: number): LocalReplicaView | undefined;
  /** Effective min.insync.replicas of the topic (topic override > broker > default). */
  minInsyncReplicas(topic: TopicImage): number;
  controller(): ControllerStatus;
  purgatorySizes(): PurgatorySizes;
  /** Groups this broker is the coordinator of; empty until the coordinator exists. */
  groups(): readonly GroupView[];
  readiness(): ReadinessFacts;
}

/**
 * Kafka API names used as the `api` label: a fixed set so a bad caller cannot blow up label
 * cardinality. Names match `ApiDefinition.name` in protocol/messages; anything else is
 * counted as "Other".
 */
export const API_NAMES = [
  'Produce',
  'Fetch',
  'ListOffsets',
  'Metadata',
  'OffsetCommit',
  'OffsetFetch',
  'FindCoordinator',
  'JoinGroup',
  'Heartbeat',
  'LeaveGroup',
  'SyncGroup',
  'DescribeGroups',
  'ListGroups',
  'ApiVersions',
  'CreateTopics',
  'DeleteTopics',
  'DeleteRecords',
  'InitProducerId',
  'OffsetForLeaderEpoch',
  'DescribeConfigs',
  'AlterConfigs',
  'CreatePartitions',
  'DeleteGroups',
  'IncrementalAlterConfigs',
  'OffsetDelete',
  'DescribeCluster',
  'Other',
] as const;
export type ApiName = (typeof API_NAMES)[number];

const API_NAME_SET: ReadonlySet<string> = new Set(API_NAMES);

export function apiLabel(name: string): ApiName {
  return API_NAME_SET.has(name) ? (name as ApiName) : 'Other';
}
