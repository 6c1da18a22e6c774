/**
 * BrokerIntrospection over the broker's real parts, so broker.ts only hands them over.
 * The parts that do not exist yet (controller lease, group coordinator, registry liveness)
 * are optional callbacks with single-broker defaults, so today's `--metadata local` broker
 * can serve /metrics and /readyz before the replication and coordinator issues land.
 */
import type { MetadataImage, TopicImage } from '../cluster/types.js';
import { effectiveTopicConfig } from '../cluster/topic-config.js';
import type { BrokerConfig } from '../config.js';
import type { ReplicaManager } from '../replication/types.js';
import type { BrokerIntrospection, ControllerStatus, GroupView, PurgatorySizes, ReadinessFacts } from './introspection.js';

export interface IntrospectionParts {
  readonly config: BrokerConfig;
  /** package.json version. */
  readonly version: string;
  readonly image: MetadataImage;
  readonly replicas: Pick<ReplicaManager, 'partition'>;
  readonly purgatorySizes: () => PurgatorySizes;
  /**
   * Controller lease state. Default: the image's controller id, active when it is this
   * broker, epoch -1 (local mode has no lease).
   */
  readonly controller?: () => ControllerStatus;
  /** Groups this broker coordinates. Default: none (no coordinator yet). */
  readonly groups?: () => readonly GroupView[];
  /**
   * Readiness facts. Default: registered when the image lists this broker; metadata loaded
   * (the image is built from the store's initial load before the broker starts serving);
   * no coordinator partitions loading.
   */
  readonly readiness?: () => ReadinessFacts;
}

export function brokerIntrospection(parts: IntrospectionParts): BrokerIntrospection {
  const { config, image, replicas } = parts;
  const nodeId = config.nodeId;
  return {
    self: () => ({ nodeId, version: parts.version, rack: config.rack, clusterId: image.clusterId }),
    brokers: () => image.brokers(),
    topics: () => image.topics(),
    topic: (name) => image.topic(name),
    localReplica: (topic, partition) => replicas.partition(topic, partition),
    minInsyncReplicas: (t: TopicImage) => effectiveTopicConfig(config.settings, image.brokerConfigs(), t.configs).minInsyncReplicas,
    controller:
      parts.controller ??
      (() => ({ controllerId: image.controllerId, isActive: image.controllerId === nodeId, epoch: -1 })),
    purgatorySizes: parts.purgatorySizes,
    groups: parts.groups ?? (() => []),
    readiness:
      parts.readiness ??
      (() => ({ registered: image.broker(nodeId) !== undefined, metadataLoaded: true, coordinatorPartitionsLoading: [] })),
  };
}
