import { describe, expect, it } from '@jest/globals';
import { BROKER_FLAGS, ConfigError, SETTING_DEFAULTS, brokerUsage, envNameOf, parseBrokerArgs, parseHostPort } from './config.js';

const parse = (argv: string[], env: Record<string, string> = {}) => parseBrokerArgs(argv, env);
const fails = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parseBrokerArgs(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('parseBrokerArgs defaults', () => {
  it('fills every default', () => {
    const c = parse([]);
    expect(c).toEqual({
      nodeId: 0,
      listen: { host: '127.0.0.1', port: 9092 },
      advertised: { host: '127.0.0.1', port: 9092 },
      dataDir: './data',
      http: { host: '127.0.0.1', port: 9644 },
      metadata: 'local',
      cluster: 'strand',
      rack: null,
      settings: SETTING_DEFAULTS,
    });
    expect(c.settings['num.partitions']).toBe(1);
    expect(c.settings['default.replication.factor']).toBe(1);
    expect(c.settings['auto.create.topics.enable']).toBe(true);
    expect(c.settings['log.segment.bytes']).toBe(1073741824);
    expect(c.settings['log.retention.ms']).toBe(604800000);
    expect(c.settings['log.retention.bytes']).toBe(-1);
    expect(c.settings['message.max.bytes']).toBe(1048588);
    expect(c.settings['log.message.timestamp.type']).toBe('CreateTime');
    expect(c.settings['socket.request.max.bytes']).toBe(104857600);
    expect(c.settings['fetch.max.bytes']).toBe(57671680);
    expect(c.settings['min.insync.replicas']).toBe(1);
  });
});

describe('flags', () => {
  it('parses every flag, in both --flag value and --flag=value forms', () => {
    const c = parse([
      '--node-id', '3',
      '--listen=0.0.0.0:19092',
      '--advertised', 'broker-3.local:9093',
      '--data-dir', '/var/lib/strand',
      '--http', '127.0.0.1:0',
      '--metadata', 'nats://127.0.0.1:4222',
      '--cluster', 'prod_1',
      '--rack', 'r1',
      '--set', 'num.partitions=6',
      '--set=log.message.timestamp.type=LogAppendTime',
    ]);
    expect(c.nodeId).toBe(3);
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 19092 });
    expect(c.advertised).toEqual({ host: 'broker-3.local', port: 9093 });
    expect(c.dataDir).toBe('/var/lib/strand');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 0 });
    expect(c.metadata).toEqual({ url: 'nats://127.0.0.1:4222' });
    expect(c.cluster).toBe('prod_1');
    expect(c.rack).toBe('r1');
    expect(c.settings['num.partitions']).toBe(6);
    expect(c.settings['log.message.timestamp.type']).toBe('LogAppendTime');
  });

  it('advertised defaults to listen, ephemeral port included', () => {
    const c = parse(['--listen', '127.0.0.1:0']);
    expect(c.listen.port).toBe(0);
    expect(c.advertised).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('accepts bracketed IPv6', () => {
    expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
    expect(parseHostPort('::1:9092')).toBeNull();
  });

  it('parses every Kafka-named setting through --set', () => {
    const c = parse([
      '--set', 'default.replication.factor=3',
      '--set', 'auto.create.topics.enable=false',
      '--set', 'log.segment.bytes=1048576',
      '--set', 'log.roll.ms=1000',
      '--set', 'log.retention.ms=-1',
      '--set', 'log.retention.bytes=1000000',
      '--set', 'log.index.interval.bytes=1024',
      '--set', 'log.index.size.max.bytes=4096',
      '--set', 'log.retention.check.interval.ms=1000',
      '--set', 'message.max.bytes=2000000',
      '--set', 'min.insync.replicas=2',
      '--set', 'socket.request.max.bytes=1000000',
      '--set', 'fetch.max.bytes=2048',
      '--set', 'delete.topic.enable=false',
    ]);
    expect(c.settings).toMatchObject({
      'default.replication.factor': 3,
      'auto.create.topics.enable': false,
      'log.segment.bytes': 1048576,
      'log.roll.ms': 1000,
      'log.retention.ms': -1,
      'log.retention.bytes': 1000000,
      'log.index.interval.bytes': 1024,
      'log.index.size.max.bytes': 4096,
      'log.retention.check.interval.ms': 1000,
      'message.max.bytes': 2000000,
      'min.insync.replicas': 2,
      'socket.request.max.bytes': 1000000,
      'fetch.max.bytes': 2048,
      'delete.topic.enable': false,
    });
  });
});

describe('environment', () => {
  it('maps every flag to STRAND_<FLAG>', () => {
    expect(BROKER_FLAGS.map((f) => envNameOf(f.flag))).toEqual([
      'STRAND_NODE_ID', 'STRAND_LISTEN', 'STRAND_ADVERTISED', 'STRAND_DATA_DIR', 'STRAND_HTTP',
      'STRAND_METADATA', 'STRAND_CLUSTER', 'STRAND_RACK', 'STRAND_SET',
    ]);
  });

  it('reads env when no flag is given', () => {
    const c = parse([], {
      STRAND_NODE_ID: '7',
      STRAND_LISTEN: '127.0.0.1:0',
      STRAND_DATA_DIR: '/tmp/d',
      STRAND_CLUSTER: 'c1',
      STRAND_RACK: 'east',
      STRAND_METADATA: 'local',
      STRAND_SET: 'num.partitions=4, log.retention.ms=1000\nmessage.max.bytes=100',
    });
    expect(c.nodeId).toBe(7);
    expect(c.listen.port).toBe(0);
    expect(c.dataDir).toBe('/tmp/d');
    expect(c.cluster).toBe('c1');
    expect(c.rack).toBe('east');
    expect(c.settings['num.partitions']).toBe(4);
    expect(c.settings['log.retention.ms']).toBe(1000);
    expect(c.settings['message.max.bytes']).toBe(100);
  });

  it('flags win over env, per key for --set', () => {
    const c = parse(['--node-id', '1', '--set', 'num.partitions=9'], {
      STRAND_NODE_ID: '2',
      STRAND_SET: 'num.partitions=4,log.retention.ms=5',
    });
    expect(c.nodeId).toBe(1);
    expect(c.settings['num.partitions']).toBe(9);
    expect(c.settings['log.retention.ms']).toBe(5);
  });

  it('names the variable in env errors', () => {
    expect(fails([], { STRAND_LISTEN: 'nope' })).toBe('invalid STRAND_LISTEN: expected HOST:PORT');
    expect(fails([], { STRAND_SET: 'num.partitions=x' })).toMatch(/^invalid STRAND_SET num.partitions: /);
    expect(fails([], { STRAND_SET: 'bogus.key=1' })).toMatch(/^invalid STRAND_SET: unknown setting "bogus.key"/);
  });
});

describe('errors name the flag', () => {
  it.each([
    [['--listen', 'localhost'], 'invalid --listen: expected HOST:PORT'],
    [['--listen', '127.0.0.1:70000'], 'invalid --listen: expected HOST:PORT'],
    [['--advertised', 'x'], 'invalid --advertised: expected HOST:PORT'],
    [['--http', ':9644'], 'invalid --http: expected HOST:PORT'],
    [['--node-id', '-1'], 'invalid --node-id: '],
    [['--node-id', 'abc'], 'invalid --node-id: '],
    [['--data-dir', ''], 'invalid --data-dir: '],
    [['--metadata', 'zk://x:1'], 'invalid --metadata: expected local or nats://HOST:PORT'],
    [['--cluster', 'bad name'], 'invalid --cluster: '],
    [['--rack', ' '], 'invalid --rack: '],
    [['--set', 'num.partitions'], 'invalid --set: expected KEY=VALUE'],
    [['--set', 'no.such.key=1'], 'invalid --set: unknown setting "no.such.key"'],
    [['--set', 'num.partitions=0'], 'invalid --set num.partitions: '],
    [['--set', 'auto.create.topics.enable=yes'], 'invalid --set auto.create.topics.enable: '],
    [['--set', 'log.message.timestamp.type=Now'], 'invalid --set log.message.timestamp.type: '],
    [['--set', 'log.retention.ms=-2'], 'invalid --set log.retention.ms: '],
    [['--set', 'fetch.max.bytes=10'], 'invalid --set fetch.max.bytes: '],
    [['--bogus'], 'unknown flag --bogus'],
    [['--bogus=1'], 'unknown flag --bogus'],
    [['stray'], 'unexpected argument "stray"'],
    [['--listen'], 'invalid --listen: expected HOST:PORT'],
  ])('%j -> %s', (argv, message) => {
    expect(fails(argv)).toContain(message);
  });
});

describe('usage', () => {
  it('lists every flag and setting', () => {
    const u = brokerUsage();
    for (const f of BROKER_FLAGS) {
      expect(u).toContain(f.flag);
      expect(u).toContain(envNameOf(f.flag));
    }
    for (const k of Object.keys(SETTING_DEFAULTS)) expect(u).toContain(k);
  });
});
