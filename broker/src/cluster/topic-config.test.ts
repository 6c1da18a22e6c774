import { SETTING_DEFAULTS } from '../config.js';
import { BROKER_CONFIGS, describeBrokerConfigs, describeTopicConfigs, validateBrokerConfig } from './broker-config.js';
import { ConfigSource } from './config-values.js';
import { testBrokerConfig } from './test-fixtures.js';
import { TOPIC_CONFIGS, effectiveTopicConfig, toLogConfig, validateTopicConfig, validateTopicName } from './topic-config.js';

describe('topic names', () => {
  it.each([['a'], ['a.b_c-D9'], ['x'.repeat(249)]])('accepts %s', (n) => expect(validateTopicName(n)).toBeNull());
  it.each([[''], ['.'], ['..'], ['x'.repeat(250)], ['a b'], ['a/b'], ['ü']])('rejects %j', (n) => expect(validateTopicName(n)).not.toBeNull());
});

describe('topic config validation', () => {
  it.each([
    ['retention.ms', '-1'],
    ['retention.ms', '1000'],
    ['retention.bytes', '-1'],
    ['cleanup.policy', 'compact,delete'],
    ['cleanup.policy', 'compact'],
    ['compression.type', 'zstd'],
    ['message.timestamp.type', 'LogAppendTime'],
    ['min.insync.replicas', '2'],
    ['unclean.leader.election.enable', 'TRUE'],
    ['min.cleanable.dirty.ratio', '0.25'],
    ['flush.messages', '9223372036854775807'],
    ['leader.replication.throttled.replicas', '0:1,1:2'],
    ['leader.replication.throttled.replicas', '*'],
  ])('accepts %s=%s', (n, v) => expect(validateTopicConfig(n, v).ok).toBe(true));

  it.each([
    ['retention.ms', '-2', /at least -1/],
    ['retention.ms', 'soon', /64-bit/],
    ['segment.bytes', '13', /at least 14/],
    ['segment.bytes', '3000000000', /out of range/],
    ['flush.messages', '9223372036854775808', /out of range/],
    ['cleanup.policy', 'shred', /one of/],
    ['cleanup.policy', '', /Empty/],
    ['compression.type', 'brotli', /one of/],
    ['min.insync.replicas', '0', /at least 1/],
    ['unclean.leader.election.enable', 'yes', /true or false/],
    ['min.cleanable.dirty.ratio', '1.5', /between/],
    ['no.such.config', '1', /Unknown/],
  ])('rejects %s=%s', (n, v, why) => {
    const r = validateTopicConfig(n, v);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(why);
      if (TOPIC_CONFIGS.has(n)) expect(r.message).toContain(`Invalid value ${v} for configuration ${n}`);
    }
  });

  it('rejects a null value', () => expect(validateTopicConfig('retention.ms', null).ok).toBe(false));
});

describe('effectiveTopicConfig', () => {
  it('uses Kafka defaults from broker settings', () => {
    const c = effectiveTopicConfig(SETTING_DEFAULTS, {}, {});
    expect(c).toMatchObject({
      retentionMs: 604800000,
      retentionBytes: -1,
      segmentBytes: 1073741824,
      segmentMs: 604800000,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 10485760,
      maxMessageBytes: 1048588,
      timestampType: 'CreateTime',
      minInsyncReplicas: 1,
      cleanupPolicy: ['delete'],
      uncleanLeaderElection: false,
      compressionType: 'producer',
    });
  });

  it('resolves topic override > dynamic broker > static setting > default', () => {
    const settings = { ...SETTING_DEFAULTS, 'log.retention.ms': 1000, 'log.segment.bytes': 2048, 'message.max.bytes': 500 };
    const c = effectiveTopicConfig(settings, { 'log.segment.bytes': '4096', 'log.cleanup.policy': 'compact' }, { 'segment.bytes': '8192', 'max.message.bytes': '700' });
    expect(c.retentionMs).toBe(1000); // static
    expect(c.segmentBytes).toBe(8192); // topic beats dynamic broker
    expect(c.maxMessageBytes).toBe(700);
    expect(c.cleanupPolicy).toEqual(['compact']); // dynamic broker, no static setting for it
    const noTopic = effectiveTopicConfig(settings, { 'log.segment.bytes': '4096' }, {});
    expect(noTopic.segmentBytes).toBe(4096);
  });

  it('maps to LogConfig', () => {
    const c = effectiveTopicConfig(SETTING_DEFAULTS, {}, { 'retention.bytes': '100', 'segment.ms': '5' });
    expect(toLogConfig(c)).toEqual({
      segmentBytes: 1073741824,
      segmentMs: 5,
      retentionMs: 604800000,
      retentionBytes: 100,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 10485760,
    });
  });
});

describe('describe views', () => {
  it('reports sources and synonyms for topic configs', () => {
    const cfg = testBrokerConfig('/tmp/x', { 'log.retention.ms': 1000 });
    const all = describeTopicConfigs(cfg, { 'log.segment.bytes': '4096' }, { 'cleanup.policy': 'compact' });
    expect(all.map((c) => c.name)).toContain('min.insync.replicas');
    const by = new Map(all.map((c) => [c.name, c]));
    expect(by.get('cleanup.policy')).toMatchObject({ value: 'compact', source: ConfigSource.DYNAMIC_TOPIC_CONFIG, isDefault: false });
    expect(by.get('segment.bytes')).toMatchObject({ value: '4096', source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(by.get('retention.ms')?.source).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    expect(by.get('retention.ms')?.synonyms).toEqual([
      { name: 'log.retention.ms', value: '1000', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.ms', value: '604800000', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    expect(by.get('flush.ms')).toMatchObject({ source: ConfigSource.DEFAULT_CONFIG, isDefault: true, type: 'LONG' });
    expect(describeTopicConfigs(cfg, {}, {}, ['retention.ms', 'nope']).map((c) => c.name)).toEqual(['retention.ms']);
  });

  it('reports broker configs, read-only unless dynamic', () => {
    const cfg = testBrokerConfig('/data/x', {}, 3);
    const by = new Map(describeBrokerConfigs(cfg, { 'log.retention.ms': '5' }).map((c) => [c.name, c]));
    expect(by.get('broker.id')).toMatchObject({ value: '3', readOnly: true, source: ConfigSource.STATIC_BROKER_CONFIG });
    expect(by.get('log.dirs')?.value).toBe('/data/x');
    expect(by.get('log.retention.ms')).toMatchObject({ value: '5', readOnly: false, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(by.get('num.partitions')).toMatchObject({ value: '1', readOnly: true, source: ConfigSource.DEFAULT_CONFIG });
    expect(by.get('message.max.bytes')?.readOnly).toBe(false);
    expect(BROKER_CONFIGS.get('min.insync.replicas')?.dynamic).toBe(true);
  });

  it('validates dynamic broker changes', () => {
    expect(validateBrokerConfig('log.retention.ms', '10').ok).toBe(true);
    expect(validateBrokerConfig('log.retention.ms', '-5').ok).toBe(false);
    const ro = validateBrokerConfig('num.partitions', '3');
    expect(ro.ok).toBe(false);
    if (!ro.ok) expect(ro.message).toMatch(/dynamically/);
    expect(validateBrokerConfig('retention.ms', '10').ok).toBe(false); // topic name, not a broker name
  });
});
