/**
 * Topic-level configs as Kafka names them: type, default, the broker setting that supplies
 * the default, validation, and the flags DescribeConfigs reports. Resolution order is
 * Kafka's: topic override > dynamic broker default (`configs.broker`) > static broker
 * setting > built-in default.
 */
import type { BrokerSettings } from '../config.js';
import type { LogConfig } from '../storage/types.js';
import {
  ConfigSource,
  LONG_MAX_STRING,
  V,
  parseWith,
  renderValue,
  splitList,
  type ConfigSourceCode,
  type ConfigType,
  type ParseResult,
  type ValueSchema,
} from './config-values.js';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's built-in default, as a string (null = no value). */
  readonly default: string | null;
  /** Broker setting that supplies the default (Kafka's synonym), if any. */
  readonly brokerSynonym: string | null;
  readonly schema: ValueSchema;
  readonly sensitive: boolean;
  readonly readOnly: boolean;
  readonly doc: string;
  /** False when Strand accepts and reports the config but does not act on it yet. */
  readonly enforced: boolean;
}

function def(
  name: string,
  type: ConfigType,
  dflt: string | null,
  brokerSynonym: string | null,
  schema: ValueSchema,
  doc: string,
  enforced = true,
): ConfigDef {
  return { name, type, default: dflt, brokerSynonym, schema, sensitive: false, readOnly: false, doc, enforced };
}

const WEEK_MS = '604800000';

export const TOPIC_CONFIG_LIST: readonly ConfigDef[] = [
  def('cleanup.policy', 'LIST', 'delete', 'log.cleanup.policy', V.listOf(['delete', 'compact']), 'Retention policy for old log segments: delete, compact, or both.'),
  def('compression.type', 'STRING', 'producer', 'compression.type', V.oneOf(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']), 'Final compression type for the topic; producer keeps the codec the producer used.', false),
  def('delete.retention.ms', 'LONG', '86400000', 'log.cleaner.delete.retention.ms', V.long(0), 'How long delete tombstones are retained for compacted topics.'),
  def('file.delete.delay.ms', 'LONG', '60000', 'log.segment.delete.delay.ms', V.long(0), 'Time to wait before deleting a file from the filesystem.', false),
  def('flush.messages', 'LONG', LONG_MAX_STRING, 'log.flush.interval.messages', V.long(1), 'Force an fsync after this many messages.', false),
  def('flush.ms', 'LONG', LONG_MAX_STRING, 'log.flush.interval.ms', V.long(0), 'Force an fsync after this much time.', false),
  def('follower.replication.throttled.replicas', 'LIST', '', null, V.replicaList(), 'Replicas throttled on the follower side.', false),
  def('index.interval.bytes', 'INT', '4096', 'log.index.interval.bytes', V.int(0), 'How often an entry is added to the offset index.'),
  def('leader.replication.throttled.replicas', 'LIST', '', null, V.replicaList(), 'Replicas throttled on the leader side.', false),
  def('max.compaction.lag.ms', 'LONG', LONG_MAX_STRING, 'log.cleaner.max.compaction.lag.ms', V.long(1), 'Maximum time a message remains ineligible for compaction.'),
  def('max.message.bytes', 'INT', '1048588', 'message.max.bytes', V.int(0), 'Largest record batch size allowed.'),
  def('message.downconversion.enable', 'BOOLEAN', 'true', 'log.message.downconversion.enable', V.boolean(), 'Whether down-conversion of message formats is enabled.', false),
  def('message.format.version', 'STRING', '3.0-IV1', 'log.message.format.version', V.string(), 'Deprecated; ignored since message format v2 is always used.', false),
  def('message.timestamp.after.max.ms', 'LONG', LONG_MAX_STRING, 'log.message.timestamp.after.max.ms', V.long(0), 'Allowed amount a CreateTime timestamp may be ahead of the broker time.', false),
  def('message.timestamp.before.max.ms', 'LONG', LONG_MAX_STRING, 'log.message.timestamp.before.max.ms', V.long(0), 'Allowed amount a CreateTime timestamp may be behind the broker time.', false),
  def('message.timestamp.difference.max.ms', 'LONG', LONG_MAX_STRING, 'log.message.timestamp.difference.max.ms', V.long(0), 'Deprecated: maximum difference between message timestamp and broker time.', false),
  def('message.timestamp.type', 'STRING', 'CreateTime', 'log.message.timestamp.type', V.oneOf(['CreateTime', 'LogAppendTime']), 'Whether the timestamp is the create time or the log append time.'),
  def('min.cleanable.dirty.ratio', 'DOUBLE', '0.5', 'log.cleaner.min.cleanable.ratio', V.double(0, 1), 'Minimum ratio of dirty log to total log for compaction.'),
  def('min.compaction.lag.ms', 'LONG', '0', 'log.cleaner.min.compaction.lag.ms', V.long(0), 'Minimum time a message remains uncompacted.'),
  def('min.insync.replicas', 'INT', '1', 'min.insync.replicas', V.int(1), 'Minimum ISR size for acks=all writes to succeed.'),
  def('preallocate', 'BOOLEAN', 'false', 'log.preallocate', V.boolean(), 'Preallocate the file on disk when creating a new segment.', false),
  def('retention.bytes', 'LONG', '-1', 'log.retention.bytes', V.long(), 'Maximum partition size before old segments are deleted; -1 = unlimited.'),
  def('retention.ms', 'LONG', WEEK_MS, 'log.retention.ms', V.long(-1), 'Maximum age of a segment before it is deleted; -1 = no time limit.'),
  def('segment.bytes', 'INT', '1073741824', 'log.segment.bytes', V.int(14), 'Segment file size.'),
  def('segment.index.bytes', 'INT', '10485760', 'log.index.size.max.bytes', V.int(4), 'Size of the index mapping offsets to file positions.'),
  def('segment.jitter.ms', 'LONG', '0', 'log.roll.jitter.ms', V.long(0), 'Maximum random jitter subtracted from segment.ms.', false),
  def('segment.ms', 'LONG', WEEK_MS, 'log.roll.ms', V.long(1), 'Time after which a segment is rolled even if not full.'),
  def('unclean.leader.election.enable', 'BOOLEAN', 'false', 'unclean.leader.election.enable', V.boolean(), 'Allow replicas not in the ISR to be elected leader as a last resort.'),
];

export const TOPIC_CONFIGS: ReadonlyMap<string, ConfigDef> = new Map(TOPIC_CONFIG_LIST.map((d) => [d.name, d]));

/** Topic name rules as Kafka's Topic.validate. Returns an error message or null. */
export function validateTopicName(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > 249) return `Topic name is illegal, it can't be longer than 249 characters, topic name: ${name}`;
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

/** Kafka warns that '.' and '_' collide in metric names; the controller rejects such pairs. */
export function topicCollisionKey(name: string): string {
  return name.replace(/\./g, '_');
}

/** Validate one topic config name/value. */
export function validateTopicConfig(name: string, value: string | null): ParseResult {
  const d = TOPIC_CONFIGS.get(name);
  if (!d) return { ok: false, message: `Unknown topic config name: ${name}` };
  if (value === null) return { ok: false, message: `Null value not supported for topic config ${name}` };
  return parseWith(d.schema, name, value);
}

/** Validate a set of overrides; returns the first error message or null. */
export function validateTopicConfigs(configs: Readonly<Record<string, string>>): string | null {
  for (const [k, v] of Object.entries(configs)) {
    const r = validateTopicConfig(k, v);
    if (!r.ok) return r.message;
  }
  return null;
}

export interface TopicConfig {
  readonly cleanupPolicy: readonly ('delete' | 'compact')[];
  readonly compressionType: string;
  readonly deleteRetentionMs: number;
  readonly fileDeleteDelayMs: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly indexIntervalBytes: number;
  readonly maxCompactionLagMs: number;
  readonly maxMessageBytes: number;
  readonly messageTimestampDifferenceMaxMs: number;
  readonly timestampType: 'CreateTime' | 'LogAppendTime';
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly minInsyncReplicas: number;
  readonly preallocate: boolean;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly segmentBytes: number;
  readonly segmentIndexBytes: number;
  readonly segmentJitterMs: number;
  readonly segmentMs: number;
  readonly uncleanLeaderElection: boolean;
}

export interface ResolvedConfigValue {
  readonly value: string | null;
  readonly source: ConfigSourceCode;
}

/** Static broker setting by Kafka name; BrokerSettings may carry more keys than its type lists. */
export function staticSetting(settings: BrokerSettings, key: string): string | null {
  const bag = settings as unknown as Readonly<Record<string, unknown>>;
  return Object.prototype.hasOwnProperty.call(bag, key) ? renderValue(bag[key]) : null;
}

/**
 * The chain of values for one topic config, most specific first (DescribeConfigs synonyms).
 * Static broker settings equal to Kafka's built-in default are reported as DEFAULT_CONFIG,
 * since config.ts fills every setting with its default and we cannot tell them apart.
 */
export function topicConfigSynonyms(
  d: ConfigDef,
  settings: BrokerSettings,
  brokerOverrides: Readonly<Record<string, string>>,
  topicOverrides: Readonly<Record<string, string>>,
): { name: string; value: string | null; source: ConfigSourceCode }[] {
  const out: { name: string; value: string | null; source: ConfigSourceCode }[] = [];
  const topicValue = topicOverrides[d.name];
  if (topicValue !== undefined) out.push({ name: d.name, value: topicValue, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  if (d.brokerSynonym !== null) {
    const dyn = brokerOverrides[d.brokerSynonym];
    if (dyn !== undefined) out.push({ name: d.brokerSynonym, value: dyn, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const stat = staticSetting(settings, d.brokerSynonym);
    if (stat !== null && stat !== d.default) {
      out.push({ name: d.brokerSynonym, value: stat, source: ConfigSource.STATIC_BROKER_CONFIG });
    }
  }
  out.push({ name: d.brokerSynonym ?? d.name, value: d.default, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

export function resolveTopicConfigValue(
  d: ConfigDef,
  settings: BrokerSettings,
  brokerOverrides: Readonly<Record<string, string>>,
  topicOverrides: Readonly<Record<string, string>>,
): ResolvedConfigValue {
  const first = topicConfigSynonyms(d, settings, brokerOverrides, topicOverrides)[0];
  return first ? { value: first.value, source: first.source } : { value: d.default, source: ConfigSource.DEFAULT_CONFIG };
}

/** The string value every topic config resolves to. */
export function resolveTopicConfigStrings(
  settings: BrokerSettings,
  brokerOverrides: Readonly<Record<string, string>>,
  topicOverrides: Readonly<Record<string, string>>,
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const d of TOPIC_CONFIG_LIST) out.set(d.name, resolveTopicConfigValue(d, settings, brokerOverrides, topicOverrides).value);
  return out;
}

export function effectiveTopicConfig(
  settings: BrokerSettings,
  brokerOverrides: Readonly<Record<string, string>>,
  topicOverrides: Readonly<Record<string, string>>,
): TopicConfig {
  const strings = resolveTopicConfigStrings(settings, brokerOverrides, topicOverrides);
  // A stored override that no longer parses (should not happen: writes are validated) falls
  // back to the next source rather than failing the partition.
  const parsed = (name: string): unknown => {
    const d = TOPIC_CONFIGS.get(name);
    if (!d) throw new Error(`no topic config ${name}`);
    const r = parseWith(d.schema, name, strings.get(name) ?? '');
    if (r.ok) return r.value;
    const fallback = parseWith(d.schema, name, d.default ?? '');
    if (fallback.ok) return fallback.value;
    throw new Error(r.message);
  };
  const num = (name: string): number => parsed(name) as number;
  const bool = (name: string): boolean => parsed(name) as boolean;
  const str = (name: string): string => parsed(name) as string;
  return {
    cleanupPolicy: (parsed('cleanup.policy') as string[]).filter((p): p is 'delete' | 'compact' => p === 'delete' || p === 'compact'),
    compressionType: str('compression.type'),
    deleteRetentionMs: num('delete.retention.ms'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    indexIntervalBytes: num('index.interval.bytes'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    maxMessageBytes: num('max.message.bytes'),
    messageTimestampDifferenceMaxMs: num('message.timestamp.difference.max.ms'),
    timestampType: str('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    minInsyncReplicas: num('min.insync.replicas'),
    preallocate: bool('preallocate'),
    retentionBytes: num('retention.bytes'),
    retentionMs: num('retention.ms'),
    segmentBytes: num('segment.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    segmentJitterMs: num('segment.jitter.ms'),
    segmentMs: num('segment.ms'),
    uncleanLeaderElection: bool('unclean.leader.election.enable'),
  };
}

export function toLogConfig(c: TopicConfig): LogConfig {
  // Kafka applies time/size retention only under cleanup.policy=delete; a compact-only topic
  // (e.g. __consumer_offsets) keeps every segment until compaction, which is not built yet,
  // so deleting by age would lose the latest committed offsets of quiet groups.
  const deletes = c.cleanupPolicy.includes('delete');
  return {
    segmentBytes: c.segmentBytes,
    segmentMs: c.segmentMs,
    retentionMs: deletes ? c.retentionMs : -1,
    retentionBytes: deletes ? c.retentionBytes : -1,
    indexIntervalBytes: c.indexIntervalBytes,
    segmentIndexBytes: c.segmentIndexBytes,
  };
}

/** IncrementalAlterConfigs APPEND/SUBTRACT apply only to LIST configs. */
export function isListConfig(name: string): boolean {
  return TOPIC_CONFIGS.get(name)?.type === 'LIST';
}

export { splitList };
