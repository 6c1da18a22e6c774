/**
 * Cluster metadata contracts. The MetadataStore is a revisioned key-value store (the role
 * ZooKeeper/KRaft play for Kafka): a local file-backed implementation for a single broker,
 * NATS JetStream KV for a cluster (replication issue). Every write is a compare-and-set;
 * every broker keeps an in-memory MetadataImage fed by the store's watch.
 */

export interface KvEntry {
  readonly key: string;
  /** JSON value; null for a deletion seen through watch. */
  readonly value: unknown;
  readonly revision: number;
}

export class RevisionMismatchError extends Error {
  constructor(readonly key: string) {
    super(`revision mismatch on ${key}`);
    this.name = 'RevisionMismatchError';
  }
}

/** Keys follow ARCHITECTURE.md: `topics.<name>`, `partitions.<topic>.<p>`, `configs.<...>`, ... */
export interface MetadataStore {
  get(key: string): Promise<KvEntry | null>;
  /** Fails with RevisionMismatchError if the key exists. Returns the new revision. */
  create(key: string, value: unknown): Promise<number>;
  /** Fails with RevisionMismatchError if the key's revision is not `expectedRevision`. */
  update(key: string, value: unknown, expectedRevision: number): Promise<number>;
  delete(key: string, expectedRevision?: number): Promise<void>;
  /** Every entry whose key starts with prefix. */
  list(prefix: string): Promise<KvEntry[]>;
  /** Called with the current entries (initial load) and then every change, in revision order. */
  watch(prefix: string, onChange: (entry: KvEntry) => void): Promise<{ stop(): void }>;
  close(): Promise<void>;
}

export interface BrokerRegistration {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  /** -1 when offline. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  /** 32-char lowercase hex (protocol uuid form). */
  readonly topicId: string;
  readonly internal: boolean;
  /** Indexed by partition number, dense from 0. */
  readonly partitions: readonly PartitionState[];
  /** Topic-level overrides only, Kafka names (e.g. "retention.ms"). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface MetadataDelta {
  readonly topicsCreated: readonly string[];
  readonly topicsDeleted: readonly TopicImage[];
  /** Partitions whose state changed or that were added (CreatePartitions). */
  readonly partitionsChanged: readonly PartitionState[];
  /** Topics whose config overrides changed. */
  readonly topicConfigsChanged: readonly string[];
  /** Broker-level dynamic overrides changed (every topic's effective config may have). */
  readonly brokerConfigsChanged?: boolean;
  /** Broker registrations changed. */
  readonly brokersChanged?: boolean;
}

/** What a broker knows about the cluster, kept current from the MetadataStore watch. */
export interface MetadataImage {
  readonly clusterId: string;
  readonly controllerId: number;
  topic(name: string): TopicImage | undefined;
  topicById(topicId: string): TopicImage | undefined;
  topics(): Iterable<TopicImage>;
  brokers(): readonly BrokerRegistration[];
  broker(id: number): BrokerRegistration | undefined;
  /** Broker-level dynamic config overrides (AlterConfigs on a BROKER resource). */
  brokerConfigs(): Readonly<Record<string, string>>;
  /**
   * The store revision of `partitions.<topic>.<p>` as this image last applied it (the CAS
   * token for PartitionStateWriter / the controller); undefined if the partition is unknown.
   */
  partitionRevision(topic: string, partition: number): number | undefined;
  onChange(listener: (delta: MetadataDelta) => void): () => void;
}

/**
 * This broker's standing in the cluster (docs/cluster-contract.md, Liveness). In cluster mode
 * it is the NATS broker registry session: false once this broker cannot have refreshed its
 * registration within broker.session.timeout.ms, when the others may have dropped it; a
 * broker must not act as a partition leader (accept produce, change ISRs) while it is false.
 * A single broker (--metadata local) is always valid.
 */
export interface ClusterMembership {
  isSessionValid(): boolean;
  /** Called with false when the session lapses and with true when it is restored. */
  onSessionChange(listener: (valid: boolean) => void): () => void;
}

/** Errors the controller reports per topic; the handler maps them to Kafka error codes. */
export type ControllerErrorKind =
  | 'TOPIC_ALREADY_EXISTS'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'INVALID_TOPIC_EXCEPTION'
  | 'INVALID_PARTITIONS'
  | 'INVALID_REPLICATION_FACTOR'
  | 'INVALID_REPLICA_ASSIGNMENT'
  | 'INVALID_CONFIG'
  | 'INVALID_REQUEST'
  | 'POLICY_VIOLATION'
  | 'TOPIC_AUTHORIZATION_FAILED'
  | 'TOPIC_DELETION_DISABLED'
  // Cluster mode (reassignment, leader election, forwarding to the active controller).
  | 'NOT_CONTROLLER'
  | 'REQUEST_TIMED_OUT'
  | 'NO_REASSIGNMENT_IN_PROGRESS'
  | 'PREFERRED_LEADER_NOT_AVAILABLE'
  | 'ELIGIBLE_LEADERS_NOT_AVAILABLE'
  | 'ELECTION_NOT_NEEDED';

export class ControllerError extends Error {
  constructor(
    readonly kind: ControllerErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ControllerError';
  }
}

export interface CreateTopicSpec {
  readonly name: string;
  /** -1 = broker default num.partitions. Ignored when assignments are given. */
  readonly numPartitions: number;
  /** -1 = broker default default.replication.factor. Ignored when assignments are given. */
  readonly replicationFactor: number;
  /** Explicit replica lists, by partition index; empty = let placement decide. */
  readonly assignments: readonly (readonly number[])[];
  readonly configs: Readonly<Record<string, string>>;
}

export type ConfigOp = { readonly op: 'set' | 'delete' | 'append' | 'subtract'; readonly name: string; readonly value: string | null };

/** Cluster-changing operations. On a single broker, the broker is the controller. */
export interface Controller {
  /** Validates, places and writes the topic; resolves once this broker's image has it. */
  createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicImage>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, totalCount: number, assignments: readonly (readonly number[])[] | null, validateOnly: boolean): Promise<void>;
  /** replace=true: AlterConfigs (all overrides replaced); false: IncrementalAlterConfigs ops. */
  alterTopicConfigs(name: string, ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void>;
  alterBrokerConfigs(ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void>;
  /** Allocate a producer id (InitProducerId), unique across restarts and brokers. */
  allocateProducerId(): Promise<number>;
  /** AlterPartitionReassignments: replicas = target, or null to cancel. One result per item. */
  alterPartitionReassignments(items: readonly ReassignmentRequest[]): Promise<PartitionResult[]>;
  /** Ongoing reassignments (all when `filter` is null), read from this broker's image. */
  listPartitionReassignments(filter: readonly TopicPartitionRef[] | null): PartitionReassignmentView[];
  /** ElectLeaders; `partitions` null = every partition (preferred election only). */
  electLeaders(type: ElectionType, partitions: readonly TopicPartitionRef[] | null): Promise<PartitionResult[]>;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface ReassignmentRequest extends TopicPartitionRef {
  /** Target replica list (first = preferred leader), or null to cancel an ongoing reassignment. */
  readonly replicas: readonly number[] | null;
}

export interface PartitionResult extends TopicPartitionRef {
  /** null = success. */
  readonly error: { readonly kind: ControllerErrorKind; readonly message: string } | null;
}

export interface PartitionReassignmentView extends TopicPartitionRef {
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export type ElectionType = 'preferred' | 'unclean';
