/**
 * The metadata key layout (ARCHITECTURE.md, the `C_meta` bucket) and the shape of each
 * value, shared by the local store today and the NATS store later. Values are parsed with
 * zod on read so a malformed entry is skipped and logged rather than poisoning the image.
 *
 *   topics.<name>            -> TopicRecord       (written last on create, first on delete)
 *   partitions.<topic>.<p>   -> PartitionState
 *   configs.topic.<name>     -> TopicConfigRecord (overrides after creation, bound to topicId)
 *   configs.broker           -> BrokerConfigRecord (cluster-wide dynamic broker overrides)
 *   cluster.id               -> ClusterIdRecord
 *   producerIds.block        -> ProducerIdBlockRecord
 *   brokers.<id>             -> BrokerRegistration (local mode; a cluster uses the C_brokers bucket)
 */
import { z } from 'zod';
import type { BrokerRegistration, PartitionState } from './types.js';

export const Keys = {
  topicPrefix: 'topics.',
  topic: (name: string): string => `topics.${name}`,
  partitionPrefix: 'partitions.',
  /** Prefix for one topic's partitions; filter with parsePartitionKey since names contain dots. */
  partitionsOf: (topic: string): string => `partitions.${topic}.`,
  partition: (topic: string, p: number): string => `partitions.${topic}.${p}`,
  topicConfigPrefix: 'configs.topic.',
  topicConfig: (name: string): string => `configs.topic.${name}`,
  brokerConfig: 'configs.broker',
  clusterId: 'cluster.id',
  producerIdBlock: 'producerIds.block',
  brokerPrefix: 'brokers.',
  broker: (id: number): string => `brokers.${id}`,
} as const;

/** `partitions.<topic>.<p>` -> {topic, partition}; the partition number is after the last dot. */
export function parsePartitionKey(key: string): { topic: string; partition: number } | null {
  if (!key.startsWith(Keys.partitionPrefix)) return null;
  const rest = key.slice(Keys.partitionPrefix.length);
  const dot = rest.lastIndexOf('.');
  if (dot <= 0) return null;
  const num = rest.slice(dot + 1);
  if (!/^\d+$/.test(num)) return null;
  return { topic: rest.slice(0, dot), partition: Number(num) };
}

const configMap = z.record(z.string(), z.string());
const brokerIds = z.array(z.number().int());

export const TopicRecordSchema = z.object({
  topicId: z.string().regex(/^[0-9a-f]{32}$/),
  internal: z.boolean(),
  /** Overrides given at creation; `configs.topic.<name>` supersedes them once written. */
  configs: configMap.optional(),
});
export type TopicRecord = z.infer<typeof TopicRecordSchema>;

export const PartitionStateSchema = z.object({
  topic: z.string(),
  partition: z.number().int().min(0),
  replicas: brokerIds,
  leader: z.number().int(),
  leaderEpoch: z.number().int(),
  isr: brokerIds,
  partitionEpoch: z.number().int(),
  addingReplicas: brokerIds,
  removingReplicas: brokerIds,
}) satisfies z.ZodType<PartitionState>;

export const TopicConfigRecordSchema = z.object({ topicId: z.string(), configs: configMap });
export type TopicConfigRecord = z.infer<typeof TopicConfigRecordSchema>;

export const BrokerConfigRecordSchema = z.object({ configs: configMap });
export type BrokerConfigRecord = z.infer<typeof BrokerConfigRecordSchema>;

export const ClusterIdRecordSchema = z.object({ clusterId: z.string().min(1) });
export type ClusterIdRecord = z.infer<typeof ClusterIdRecordSchema>;

/** The first producer id not yet handed to any broker. */
export const ProducerIdBlockRecordSchema = z.object({ nextProducerId: z.number().int().min(0) });
export type ProducerIdBlockRecord = z.infer<typeof ProducerIdBlockRecordSchema>;

export const BrokerRegistrationSchema = z.object({
  id: z.number().int().min(0),
  host: z.string(),
  port: z.number().int().min(0).max(65535),
  rack: z.string().nullable(),
}) satisfies z.ZodType<BrokerRegistration>;
