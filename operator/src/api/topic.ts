/**
 * Topic (strand.dev/v1alpha1, namespaced): one Kafka topic in a KafkaCluster of the same
 * namespace. Source of crds/topics.strand.dev.yaml.
 *
 * Update-only rules (partitions never decrease, topicName and clusterRef immutable) are CEL
 * transition rules the API server enforces; `topicUpdateProblem` is their zod-side twin for
 * the operator and tests, since a zod schema only ever sees one object.
 */
import { z } from 'zod';
import { API_VERSION, celChecked, Conditions, DNS_LABEL, k8s, KafkaConfigMap, ObjectMeta } from './meta.js';

export const TOPIC_KIND = 'Topic';
export const TOPIC_PLURAL = 'topics';

/** Kafka's rule: [a-zA-Z0-9._-], 1-249 characters, and not "." or "..". */
export const TOPIC_NAME_PATTERN = /^[a-zA-Z0-9._-]+$/;
export const TOPIC_NAME_MAX_LENGTH = 249;

export const TopicName = celChecked(
  z.string().min(1).max(TOPIC_NAME_MAX_LENGTH).regex(TOPIC_NAME_PATTERN),
  { rule: "self != '.' && self != '..'", message: 'a topic may not be named "." or ".."' },
  (s) => s !== '.' && s !== '..',
);

export const PARTITIONS_RULE = { rule: 'self >= oldSelf', message: 'partitions may not decrease' } as const;

export const TopicSpec = celChecked(
  z.object({
    /** Name of the KafkaCluster (same namespace). Immutable. */
    clusterRef: z.string().min(1).max(63).regex(DNS_LABEL),
    /** The Kafka topic name; defaults to metadata.name. Immutable. */
    topicName: TopicName.optional(),
    partitions: k8s(z.int().min(1).max(100000), { validations: [PARTITIONS_RULE] }),
    replicationFactor: z.int().min(1).max(32767),
    config: KafkaConfigMap.default({}),
    /** Delete: deleting the resource deletes the topic. Retain: the topic (and data) stay. */
    deletionPolicy: z.enum(['Delete', 'Retain']).default('Delete'),
  }),
  // Transition rules only (oldSelf): never fail on create. The zod predicate is therefore
  // always true here; topicUpdateProblem() checks the same on (old, new) pairs.
  {
    rule: 'self.clusterRef == oldSelf.clusterRef && has(self.topicName) == has(oldSelf.topicName) && (!has(self.topicName) || self.topicName == oldSelf.topicName)',
    message: 'clusterRef and topicName are immutable',
  },
  () => true,
);

export const PartitionStatus = z.object({
  partition: z.int().min(0),
  replicas: z.array(z.int().min(0)),
  leader: z.int().min(-1),
  isr: z.array(z.int().min(0)),
});

export const TopicStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: Conditions.optional(),
  /** Kafka topic id (UUID, base64 as Kafka tools print it). */
  topicId: z.string().optional(),
  partitions: k8s(z.array(PartitionStatus), { listType: 'map', listMapKeys: ['partition'] }).optional(),
});

export const TopicSchema = celChecked(
  z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(TOPIC_KIND),
    metadata: ObjectMeta,
    spec: TopicSpec,
    status: TopicStatus.optional(),
  }),
  {
    rule: `has(self.spec.topicName) || self.metadata.name.size() <= ${TOPIC_NAME_MAX_LENGTH}`,
    message: `without spec.topicName, metadata.name is the topic name and must be at most ${TOPIC_NAME_MAX_LENGTH} characters`,
  },
  (t) => t.spec.topicName !== undefined || t.metadata.name.length <= TOPIC_NAME_MAX_LENGTH,
);

export type Topic = z.infer<typeof TopicSchema>;
export type TopicInput = z.input<typeof TopicSchema>;
export type TopicSpec = z.infer<typeof TopicSpec>;
export type TopicSpecInput = z.input<typeof TopicSpec>;
export type TopicStatus = z.infer<typeof TopicStatus>;
export type PartitionStatus = z.infer<typeof PartitionStatus>;

/** The Kafka topic name of a Topic resource. */
export function kafkaTopicName(t: Pick<Topic, 'metadata' | 'spec'>): string {
  return t.spec.topicName ?? t.metadata.name;
}

/** The CEL transition rules, evaluated in TypeScript; null when the update is allowed. */
export function topicUpdateProblem(oldSpec: TopicSpec, newSpec: TopicSpec): string | null {
  if (newSpec.partitions < oldSpec.partitions) return PARTITIONS_RULE.message;
  if (newSpec.clusterRef !== oldSpec.clusterRef || newSpec.topicName !== oldSpec.topicName) {
    return 'clusterRef and topicName are immutable';
  }
  return null;
}
