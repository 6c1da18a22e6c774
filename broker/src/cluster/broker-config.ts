/**
 * Broker-level configs as DescribeConfigs(BROKER) reports them, which of them AlterConfigs
 * may change at runtime (Kafka's cluster-wide dynamic configs), and the describe views for
 * both resource types so handlers stay thin.
 *
 * Dynamic broker overrides live in one map (`configs.broker`) applied to every broker, i.e.
 * Kafka's cluster-default entity, so they are reported as DYNAMIC_DEFAULT_BROKER_CONFIG.
 */
import type { BrokerConfig } from '../config.js';
import { ConfigSource, V, parseWith, type ConfigSourceCode, type ConfigType, type ParseResult, type ValueSchema } from './config-values.js';
import { TOPIC_CONFIG_LIST, staticSetting, topicConfigSynonyms, type ConfigDef } from './topic-config.js';

export interface BrokerConfigDef extends ConfigDef {
  /** True when AlterConfigs / IncrementalAlterConfigs may change it at runtime. */
  readonly dynamic: boolean;
  /** The static value from the broker's own configuration (null = none). */
  valueOf(config: BrokerConfig): string | null;
}

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceCode;
}

/** One DescribeConfigs result entry, version-independent. */
export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSourceCode;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly isDefault: boolean;
  readonly type: ConfigType;
  readonly doc: string;
  readonly synonyms: readonly ConfigSynonym[];
}

function fromSetting(name: string): (c: BrokerConfig) => string | null {
  return (c) => staticSetting(c.settings, name);
}

function staticDef(name: string, type: ConfigType, dflt: string | null, schema: ValueSchema, doc: string, valueOf: (c: BrokerConfig) => string | null): BrokerConfigDef {
  return { name, type, default: dflt, brokerSynonym: null, schema, sensitive: false, readOnly: true, doc, enforced: true, dynamic: false, valueOf };
}

const listener = (hp: { host: string; port: number }): string => `PLAINTEXT://${hp.host}:${hp.port}`;

const BROKER_ONLY: readonly BrokerConfigDef[] = [
  staticDef('broker.id', 'INT', '-1', V.int(), 'The broker id.', (c) => String(c.nodeId)),
  staticDef('node.id', 'INT', '-1', V.int(), 'The node id.', (c) => String(c.nodeId)),
  staticDef('broker.rack', 'STRING', null, V.string(), 'Rack of the broker, used for rack-aware replica placement.', (c) => c.rack),
  staticDef('listeners', 'STRING', 'PLAINTEXT://:9092', V.string(), 'Listener the broker binds.', (c) => listener(c.listen)),
  staticDef('advertised.listeners', 'STRING', null, V.string(), 'Listener published to clients.', (c) => listener(c.advertised)),
  staticDef('log.dirs', 'STRING', '/tmp/kafka-logs', V.string(), 'Directory holding the log data.', (c) => c.dataDir),
  staticDef('num.partitions', 'INT', '1', V.int(1), 'Default number of partitions per topic.', fromSetting('num.partitions')),
  staticDef('default.replication.factor', 'INT', '1', V.int(1), 'Default replication factor for new topics.', fromSetting('default.replication.factor')),
  staticDef('auto.create.topics.enable', 'BOOLEAN', 'true', V.boolean(), 'Create topics on first metadata request or produce.', fromSetting('auto.create.topics.enable')),
  staticDef('delete.topic.enable', 'BOOLEAN', 'true', V.boolean(), 'Whether topics may be deleted.', fromSetting('delete.topic.enable')),
  staticDef('log.retention.check.interval.ms', 'LONG', '300000', V.long(1), 'How often retention is checked.', fromSetting('log.retention.check.interval.ms')),
  staticDef('socket.request.max.bytes', 'INT', '104857600', V.int(1), 'Largest request the broker accepts.', fromSetting('socket.request.max.bytes')),
  staticDef('fetch.max.bytes', 'INT', '57671680', V.int(1024), 'Largest response a fetch returns.', fromSetting('fetch.max.bytes')),
];

/** Topic-config synonyms (log.retention.ms, message.max.bytes, ...) are Kafka's dynamic cluster-wide configs. */
const SYNONYMS: readonly BrokerConfigDef[] = TOPIC_CONFIG_LIST.filter((d) => d.brokerSynonym !== null).map((d) => {
  const name = d.brokerSynonym ?? d.name;
  return { ...d, name, brokerSynonym: null, readOnly: false, dynamic: true, valueOf: fromSetting(name) };
});

export const BROKER_CONFIGS: ReadonlyMap<string, BrokerConfigDef> = new Map(
  [...BROKER_ONLY, ...SYNONYMS].sort((a, b) => a.name.localeCompare(b.name)).map((d) => [d.name, d]),
);

/** Validate a dynamic broker config change (unknown / read-only names are refused, as Kafka). */
export function validateBrokerConfig(name: string, value: string | null): ParseResult {
  const d = BROKER_CONFIGS.get(name);
  if (!d) return { ok: false, message: `Unknown broker config name: ${name}` };
  if (!d.dynamic) return { ok: false, message: `Cannot update these configs dynamically: [${name}]` };
  if (value === null) return { ok: false, message: `Null value not supported for broker config ${name}` };
  return parseWith(d.schema, name, value);
}

export function brokerConfigSynonyms(d: BrokerConfigDef, config: BrokerConfig, dynamic: Readonly<Record<string, string>>): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const dyn = d.dynamic ? dynamic[d.name] : undefined;
  if (dyn !== undefined) out.push({ name: d.name, value: dyn, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
  const stat = d.valueOf(config);
  // Values config.ts filled with Kafka's default are indistinguishable from unset ones.
  if (stat !== null && stat !== d.default) out.push({ name: d.name, value: stat, source: ConfigSource.STATIC_BROKER_CONFIG });
  out.push({ name: d.name, value: d.default, source: ConfigSource.DEFAULT_CONFIG });
  return out;
}

function described(d: ConfigDef, readOnly: boolean, synonyms: ConfigSynonym[]): DescribedConfig {
  const top = synonyms[0] ?? { name: d.name, value: d.default, source: ConfigSource.DEFAULT_CONFIG };
  return {
    name: d.name,
    value: d.sensitive ? null : top.value,
    source: top.source,
    readOnly,
    sensitive: d.sensitive,
    isDefault: top.source === ConfigSource.DEFAULT_CONFIG,
    type: d.type,
    doc: d.doc,
    synonyms,
  };
}

/** Every broker config, or only `names` when given (unknown names are skipped, as Kafka). */
export function describeBrokerConfigs(
  config: BrokerConfig,
  dynamic: Readonly<Record<string, string>>,
  names: readonly string[] | null = null,
): DescribedConfig[] {
  const defs = names === null ? [...BROKER_CONFIGS.values()] : names.map((n) => BROKER_CONFIGS.get(n)).filter((d): d is BrokerConfigDef => d !== undefined);
  return defs.map((d) => described(d, d.readOnly, brokerConfigSynonyms(d, config, dynamic)));
}

/** Every topic config with its effective value and source, or only `names` when given. */
export function describeTopicConfigs(
  config: BrokerConfig,
  dynamic: Readonly<Record<string, string>>,
  topicOverrides: Readonly<Record<string, string>>,
  names: readonly string[] | null = null,
): DescribedConfig[] {
  const wanted = names === null ? null : new Set(names);
  return TOPIC_CONFIG_LIST.filter((d) => wanted === null || wanted.has(d.name)).map((d) =>
    described(d, false, topicConfigSynonyms(d, config.settings, dynamic, topicOverrides)),
  );
}
