/**
 * Broker configuration: ONE zod schema (`BrokerConfigSchema`) for every setting, fed from
 * three sources in precedence order:
 *
 *   1. command-line flags          --listen 127.0.0.1:9092, --set log.retention.ms=1000
 *   2. environment variables       STRAND_LISTEN=127.0.0.1:9092, STRAND_SET="k=v,k=v"
 *   3. defaults                    (Kafka's, for the Kafka-named settings)
 *
 * Every flag `--some-flag` has the env twin `STRAND_SOME_FLAG`. Kafka-named settings are set
 * with the repeatable `--set key=value`, or with `STRAND_SET` holding comma- or
 * newline-separated `key=value` pairs; a key given in both takes the flag's value.
 *
 * `parseBrokerArgs` is pure (argv and env in, config out) and throws ConfigError with a
 * message naming the offending flag or variable, e.g. "invalid --listen: expected HOST:PORT".
 */
import { z } from 'zod';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Broker-wide settings under their Kafka names (values already parsed and validated). */
export interface BrokerSettings {
  readonly 'num.partitions': number;
  readonly 'default.replication.factor': number;
  readonly 'auto.create.topics.enable': boolean;
  readonly 'log.segment.bytes': number;
  readonly 'log.roll.ms': number;
  readonly 'log.retention.ms': number;
  readonly 'log.retention.bytes': number;
  readonly 'log.index.interval.bytes': number;
  readonly 'log.index.size.max.bytes': number;
  readonly 'log.retention.check.interval.ms': number;
  readonly 'message.max.bytes': number;
  readonly 'log.message.timestamp.type': 'CreateTime' | 'LogAppendTime';
  readonly 'min.insync.replicas': number;
  readonly 'socket.request.max.bytes': number;
  readonly 'fetch.max.bytes': number;
  readonly 'delete.topic.enable': boolean;
  readonly 'offsets.topic.num.partitions': number;
  readonly 'offsets.topic.replication.factor': number;
  readonly 'offsets.retention.minutes': number;
  readonly 'offsets.retention.check.interval.ms': number;
  readonly 'offset.metadata.max.bytes': number;
  readonly 'group.initial.rebalance.delay.ms': number;
  readonly 'group.min.session.timeout.ms': number;
  readonly 'group.max.session.timeout.ms': number;
  readonly 'group.max.size': number;
  // Replicated cluster (--metadata nats://; docs/cluster-contract.md).
  readonly 'broker.session.timeout.ms': number;
  readonly 'broker.heartbeat.interval.ms': number;
  readonly 'replica.lag.time.max.ms': number;
  readonly 'replica.fetch.max.bytes': number;
  readonly 'replica.fetch.response.max.bytes': number;
  readonly 'replica.fetch.wait.max.ms': number;
  readonly 'replica.fetch.min.bytes': number;
  readonly 'num.replica.fetchers': number;
  readonly 'unclean.leader.election.enable': boolean;
  readonly 'controlled.shutdown.enable': boolean;
  // Strand's own (no Kafka twin): false drops the `partition` label from per-partition
  // metrics, summing per topic, for clusters with many partitions (http/README.md).
  readonly 'metrics.partition.labels': boolean;
}

export interface BrokerConfig {
  readonly nodeId: number;
  readonly listen: HostPort;
  /** Port 0 here means "the port the listener actually bound" (ephemeral listen). */
  readonly advertised: HostPort;
  readonly dataDir: string;
  readonly http: HostPort;
  /** 'local' or a nats:// URL. */
  readonly metadata: 'local' | { readonly url: string };
  readonly cluster: string;
  readonly rack: string | null;
  readonly settings: BrokerSettings;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

// ---- value schemas (strings in, typed values out) -------------------------------------

const INT_MAX = 2147483647;

function intValue(min: number, max: number = INT_MAX): z.ZodType<number, string> {
  return z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, 'expected an integer')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, `expected an integer in [${min}, ${max}]`);
}

const boolValue: z.ZodType<boolean, string> = z
  .string()
  .trim()
  .toLowerCase()
  .refine((s) => s === 'true' || s === 'false', 'expected true or false')
  .transform((s) => s === 'true');

const hostPortValue: z.ZodType<HostPort, string> = z.string().transform((s, ctx) => {
  const hp = parseHostPort(s);
  if (hp === null) {
    ctx.addIssue({ code: 'custom', message: 'expected HOST:PORT' });
    return z.NEVER;
  }
  return hp;
});

/** "host:port" or "[v6]:port"; port 0-65535. Exported for tests and the operator. */
export function parseHostPort(s: string): HostPort | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (m === null) return null;
  const host = m[1] ?? m[2];
  const port = Number(m[3]);
  if (host === undefined || port > 65535) return null;
  return { host, port };
}

const metadataValue: z.ZodType<BrokerConfig['metadata'], string> = z.string().transform((s, ctx) => {
  if (s === 'local') return 'local' as const;
  const m = /^nats:\/\/(.+)$/.exec(s);
  if (m?.[1] !== undefined && parseHostPort(m[1]) !== null) return { url: s };
  ctx.addIssue({ code: 'custom', message: 'expected local or nats://HOST:PORT' });
  return z.NEVER;
});

// ---- the schema -------------------------------------------------------------------------

const GiB = 1024 * 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Kafka-named settings with Kafka's defaults and validity ranges. */
const SettingsSchema = z
  .object({
    'num.partitions': intValue(1).default(1),
    'default.replication.factor': intValue(1, 32767).default(1),
    'auto.create.topics.enable': boolValue.default(true),
    'log.segment.bytes': intValue(14).default(GiB),
    'log.roll.ms': intValue(1, Number.MAX_SAFE_INTEGER).default(7 * DAY_MS),
    'log.retention.ms': intValue(-1, Number.MAX_SAFE_INTEGER).default(7 * DAY_MS),
    'log.retention.bytes': intValue(-1, Number.MAX_SAFE_INTEGER).default(-1),
    'log.index.interval.bytes': intValue(0).default(4096),
    'log.index.size.max.bytes': intValue(4).default(10 * 1024 * 1024),
    'log.retention.check.interval.ms': intValue(1, Number.MAX_SAFE_INTEGER).default(300_000),
    'message.max.bytes': intValue(0).default(1048588),
    'log.message.timestamp.type': z.enum(['CreateTime', 'LogAppendTime']).default('CreateTime'),
    'min.insync.replicas': intValue(1).default(1),
    'socket.request.max.bytes': intValue(1).default(100 * 1024 * 1024),
    'fetch.max.bytes': intValue(1024).default(55 * 1024 * 1024),
    'delete.topic.enable': boolValue.default(true),
    // Consumer groups (coordinator/). Changing offsets.topic.num.partitions after
    // __consumer_offsets exists moves groups to other partitions, as in Kafka: do not.
    'offsets.topic.num.partitions': intValue(1).default(50),
    'offsets.topic.replication.factor': intValue(1, 32767).default(3),
    'offsets.retention.minutes': intValue(1).default(7 * 24 * 60),
    'offsets.retention.check.interval.ms': intValue(1, Number.MAX_SAFE_INTEGER).default(600_000),
    'offset.metadata.max.bytes': intValue(0).default(4096),
    'group.initial.rebalance.delay.ms': intValue(0).default(3000),
    'group.min.session.timeout.ms': intValue(0).default(6000),
    'group.max.session.timeout.ms': intValue(0).default(1_800_000),
    'group.max.size': intValue(1).default(INT_MAX),
    // Replicated cluster (--metadata nats://). The session timeout is also the controller
    // lease and the max_age of the broker registry bucket.
    'broker.session.timeout.ms': intValue(100).default(6000),
    'broker.heartbeat.interval.ms': intValue(10).default(2000),
    'replica.lag.time.max.ms': intValue(1).default(30_000),
    'replica.fetch.max.bytes': intValue(0).default(1024 * 1024),
    'replica.fetch.response.max.bytes': intValue(0).default(10 * 1024 * 1024),
    'replica.fetch.wait.max.ms': intValue(0).default(500),
    'replica.fetch.min.bytes': intValue(1).default(1),
    'num.replica.fetchers': intValue(1).default(1),
    'unclean.leader.election.enable': boolValue.default(false),
    'controlled.shutdown.enable': boolValue.default(true),
    'metrics.partition.labels': boolValue.default(true),
  })
  .strict();

export const BrokerConfigSchema = z
  .object({
    nodeId: intValue(0).default(0),
    listen: hostPortValue.default({ host: '127.0.0.1', port: 9092 }),
    advertised: hostPortValue.optional(),
    dataDir: z.string().trim().min(1, 'expected a directory').default('./data'),
    http: hostPortValue.default({ host: '127.0.0.1', port: 9644 }),
    metadata: metadataValue.default('local'),
    // Used in NATS bucket names, so NATS-name-safe characters only.
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 of A-Z a-z 0-9 _ -')
      .default('strand'),
    rack: z.string().trim().min(1, 'expected a non-empty rack id').optional(),
    settings: SettingsSchema,
  })
  .transform(
    (c): BrokerConfig => ({
      nodeId: c.nodeId,
      listen: c.listen,
      advertised: c.advertised ?? c.listen,
      dataDir: c.dataDir,
      http: c.http,
      metadata: c.metadata,
      cluster: c.cluster,
      rack: c.rack ?? null,
      settings: c.settings,
    }),
  );

// ---- flags ------------------------------------------------------------------------------

type ScalarKey = 'nodeId' | 'listen' | 'advertised' | 'dataDir' | 'http' | 'metadata' | 'cluster' | 'rack';

interface FlagSpec {
  readonly flag: string;
  readonly key: ScalarKey | 'set';
  readonly arg: string;
  readonly help: string;
}

/** Every flag of `strand broker`, in the order `--help` lists them. */
export const BROKER_FLAGS: readonly FlagSpec[] = [
  { flag: '--node-id', key: 'nodeId', arg: 'N', help: 'broker id, unique in the cluster (default 0)' },
  { flag: '--listen', key: 'listen', arg: 'HOST:PORT', help: 'Kafka listener; port 0 = ephemeral (default 127.0.0.1:9092)' },
  { flag: '--advertised', key: 'advertised', arg: 'HOST:PORT', help: 'address given to clients in Metadata (default: --listen, with the bound port)' },
  { flag: '--data-dir', key: 'dataDir', arg: 'DIR', help: 'log and metadata directory (default ./data)' },
  { flag: '--http', key: 'http', arg: 'HOST:PORT', help: 'metrics/health HTTP listener: /metrics, /healthz, /readyz, /v1/* (default 127.0.0.1:9644; port 0 = ephemeral)' },
  { flag: '--metadata', key: 'metadata', arg: 'local|nats://HOST:PORT', help: 'metadata store (default local)' },
  { flag: '--cluster', key: 'cluster', arg: 'NAME', help: 'cluster name (default strand)' },
  { flag: '--rack', key: 'rack', arg: 'R', help: 'rack id (optional)' },
  { flag: '--set', key: 'set', arg: 'KEY=VALUE', help: 'a Kafka-named broker setting; repeatable (see below)' },
];

/** "--data-dir" -> "STRAND_DATA_DIR". */
export function envNameOf(flag: string): string {
  return 'STRAND_' + flag.replace(/^--/, '').replace(/-/g, '_').toUpperCase();
}

export const SETTING_DEFAULTS: BrokerSettings = SettingsSchema.parse({});

interface Raw {
  scalars: Partial<Record<ScalarKey, { value: string; source: string }>>;
  settings: Map<string, { value: string; source: string }>;
}

function parseSetItem(item: string, source: string, into: Raw['settings']): void {
  const eq = item.indexOf('=');
  if (eq <= 0) throw new ConfigError(`invalid ${source}: expected KEY=VALUE, got "${item}"`);
  const key = item.slice(0, eq).trim();
  if (!(key in SETTING_DEFAULTS)) throw new ConfigError(`invalid ${source}: unknown setting "${key}"`);
  into.set(key, { value: item.slice(eq + 1), source: `${source} ${key}` });
}

function readFlags(argv: readonly string[]): Raw {
  const raw: Raw = { scalars: {}, settings: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const spec = BROKER_FLAGS.find((f) => f.flag === name);
    if (spec === undefined) {
      throw new ConfigError(arg.startsWith('-') ? `unknown flag ${name}` : `unexpected argument "${arg}"`);
    }
    let value: string | undefined;
    if (name !== arg) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined) throw new ConfigError(`invalid ${spec.flag}: expected ${spec.arg}`);
    if (spec.key === 'set') parseSetItem(value, '--set', raw.settings);
    else raw.scalars[spec.key] = { value, source: spec.flag };
  }
  return raw;
}

function readEnv(env: Readonly<Record<string, string | undefined>>, into: Raw): void {
  for (const spec of BROKER_FLAGS) {
    const name = envNameOf(spec.flag);
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (spec.key === 'set') {
      for (const item of value.split(/[,\n]/)) {
        if (item.trim() === '') continue;
        const key = item.slice(0, Math.max(0, item.indexOf('='))).trim();
        // Flags win over env, per key.
        if (into.settings.has(key)) continue;
        parseSetItem(item.trim(), name, into.settings);
      }
    } else if (into.scalars[spec.key] === undefined) {
      into.scalars[spec.key] = { value, source: name };
    }
  }
}

/**
 * Parse `strand broker` flags (argv without the subcommand) and STRAND_* env into a
 * validated BrokerConfig. Pure; throws ConfigError naming the offending flag or variable.
 */
export function parseBrokerArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BrokerConfig {
  const raw = readFlags(argv);
  readEnv(env, raw);

  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw.scalars)) input[k] = v.value;
  const settings: Record<string, string> = {};
  for (const [k, v] of raw.settings) settings[k] = v.value;
  input.settings = settings;

  const r = BrokerConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path ?? [];
  let source = 'configuration';
  if (path[0] === 'settings' && typeof path[1] === 'string') source = raw.settings.get(path[1])?.source ?? `--set ${path[1]}`;
  else if (typeof path[0] === 'string') source = raw.scalars[path[0] as ScalarKey]?.source ?? String(path[0]);
  throw new ConfigError(`invalid ${source}: ${issue?.message ?? 'invalid value'}`);
}

/** The `strand broker --help` text. */
export function brokerUsage(): string {
  const lines = ['Usage: strand broker [flags]', '', 'Flags (each also read from the environment variable shown):'];
  for (const f of BROKER_FLAGS) {
    lines.push(`  ${`${f.flag} ${f.arg}`.padEnd(34)} ${f.help}`);
    lines.push(`  ${''.padEnd(34)} env ${envNameOf(f.flag)}${f.key === 'set' ? '="key=value,key=value"' : ''}`);
  }
  lines.push('  --help                             show this help', '', 'Settings for --set (Kafka names, Kafka defaults):');
  for (const [k, v] of Object.entries(SETTING_DEFAULTS)) lines.push(`  ${k.padEnd(34)} ${String(v)}`);
  lines.push('', 'Precedence: flags > STRAND_* environment > defaults.');
  return lines.join('\n');
}
