/** Strand's own Kafka client: public surface. */
export { KafkaConnection, type ConnectionOptions, type RequestOptions } from './connection.js';
export { ApiVersionTable, negotiateApiVersions, type VersionRange } from './version-negotiation.js';
export { KafkaClient, type KafkaClientOptions } from './client.js';
export type { Acks, FetchOptions, ListOffsetsOptions, OffsetAndTimestamp, ProduceOptions } from './data.js';
export type {
  AlterConfigsResource,
  ConfigOp,
  ConfigResource,
  DescribeConfigsOptions,
  NewPartitions,
  NewTopic,
  Reassignment,
  TopicChangeOptions,
  TopicPartition,
} from './admin.js';
export type { CallOptions, Target } from './router.js';
export type { BrokerInfo, ClusterView, PartitionInfo, TopicInfo } from './cluster-view.js';
export {
  ClientError,
  ConnectError,
  ConnectionClosedError,
  PeerProtocolError,
  QueueFullError,
  RequestTimeoutError,
  UnsupportedApiError,
  isRetriableError,
  mayHaveBeenApplied,
} from './errors.js';
