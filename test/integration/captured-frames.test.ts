/**
 * Protocol round-trips on real client traffic.
 *
 * A recording TCP proxy (127.0.0.1, ephemeral port) sits in front of a real broker that
 * advertises the proxy's address, so every connection a client opens goes through it. The
 * proxy splits each direction into Kafka frames (int32 size prefix) and pairs responses with
 * requests by correlation id. kcat, kafkajs, confluent-kafka-python and kafka-python are driven
 * through it; afterwards every captured request and response frame is decoded with our codec at
 * its version and re-encoded, and the bytes must be identical to what was on the wire.
 *
 * STRAND_WRITE_CAPTURED_FIXTURES=1 (re)writes test/fixtures/captured/ (smallest frame pair per
 * (client, api)), which broker/src/protocol/captured.test.ts round-trips without a broker.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { ApiDefinition } from '../../broker/src/protocol/schema-types.js';
import { decodeMessage, encodeMessage } from '../../broker/src/protocol/codec.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  responseHeaderVersion,
} from '../../broker/src/protocol/headers.js';
import { Reader, Writer } from '../../broker/src/protocol/primitives.js';
import { handlerRegistry } from '../../broker/src/server/handlers/index.js';
import { cleanupBrokers, HOST, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { clientScript, kcatOk, REPO_ROOT, requireKcat, requirePythonModules, runPythonJson } from '../helpers/tools.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const { Kafka, logLevel } = kafkajs;

const FIXTURE_DIR = join(REPO_ROOT, 'test', 'fixtures', 'captured');
const FIXTURE_MAX_BYTES = 1024;

type ClientName = 'kcat' | 'kafkajs' | 'confluent-python' | 'kafka-python';

interface CapturedFrame {
  readonly client: ClientName;
  readonly conn: number;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly request: Buffer;
  response: Buffer | null;
  /** Still awaiting its response when the connection closed (e.g. a long-poll Fetch at client exit). */
  abandoned: boolean;
}

/** Accumulates a byte stream and yields complete frames (without their int32 size prefix). */
class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (size < 0) throw new Error(`negative frame size ${size}`);
      if (this.buf.length < 4 + size) break;
      frames.push(Buffer.from(this.buf.subarray(4, 4 + size)));
      this.buf = this.buf.subarray(4 + size);
    }
    return frames;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Forwards bytes both ways to the broker and records request/response frame pairs. */
class RecordingProxy {
  client: ClientName = 'kcat';
  readonly frames: CapturedFrame[] = [];
  readonly errors: string[] = [];
  private targetPort = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private connCount = 0;
  port = 0;

  async listen(): Promise<number> {
    const srv = createServer((s) => this.onConnection(s));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, HOST, () => resolve());
    });
    const addr = srv.address();
    if (typeof addr !== 'object' || addr === null) throw new Error('proxy has no address');
    this.port = addr.port;
    return this.port;
  }

  setTarget(port: number): void {
    this.targetPort = port;
  }

  private onConnection(down: Socket): void {
    if (this.targetPort === 0) {
      this.errors.push('connection before the broker was started');
      down.destroy();
      return;
    }
    const conn = ++this.connCount;
    const client = this.client;
    const up = connect(this.targetPort, HOST);
    this.sockets.add(down);
    this.sockets.add(up);
    const pending = new Map<number, CapturedFrame>();
    const reqSplit = new FrameSplitter();
    const resSplit = new FrameSplitter();
    down.on('data', (chunk: Buffer) => {
      up.write(chunk);
      try {
        for (const f of reqSplit.push(chunk)) {
          if (f.length < 8) {
            this.errors.push(`${client} conn ${conn}: request frame of ${f.length} bytes`);
            continue;
          }
          const frame: CapturedFrame = {
            client,
            conn,
            apiKey: f.readInt16BE(0),
            apiVersion: f.readInt16BE(2),
            correlationId: f.readInt32BE(4),
            request: f,
            response: null,
            abandoned: false,
          };
          this.frames.push(frame);
          pending.set(frame.correlationId, frame);
        }
      } catch (err) {
        this.errors.push(`${client} conn ${conn} requests: ${String(err)}`);
      }
    });
    up.on('data', (chunk: Buffer) => {
      down.write(chunk);
      try {
        for (const f of resSplit.push(chunk)) {
          const cid = f.length >= 4 ? f.readInt32BE(0) : -1;
          const req = pending.get(cid);
          if (req === undefined) {
            this.errors.push(`${client} conn ${conn}: response with unknown correlation id ${cid}`);
            continue;
          }
          pending.delete(cid);
          req.response = f;
        }
      } catch (err) {
        this.errors.push(`${client} conn ${conn} responses: ${String(err)}`);
      }
    });
    const closeBoth = (): void => {
      for (const f of pending.values()) f.abandoned = true;
      pending.clear();
      down.destroy();
      up.destroy();
      this.sockets.delete(down);
      this.sockets.delete(up);
    };
    down.on('close', closeBoth);
    up.on('close', closeBoth);
    down.on('error', () => undefined);
    up.on('error', () => undefined);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const srv = this.server;
    this.server = null;
    if (srv !== null) await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------
// Round-trips

function hexDiff(expected: Buffer, actual: Buffer): string {
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  const from = Math.max(0, i - 16);
  return (
    `first difference at byte ${i} (lengths: wire ${expected.length}, re-encoded ${actual.length}); ` +
    `wire[${from}..]=${expected.subarray(from, i + 32).toString('hex')} ` +
    `re-encoded[${from}..]=${actual.subarray(from, i + 32).toString('hex')}`
  );
}

/** The response body version: ApiVersions above our range is answered with v0 (as Kafka does). */
function responseVersion(api: ApiDefinition, apiVersion: number): number {
  if (api.apiKey === 18 && apiVersion > api.maxVersion) return 0;
  return apiVersion;
}

/** Returns null when the request frame re-encodes byte-identically, else what went wrong. */
function roundTripRequest(apis: ReadonlyMap<number, ApiDefinition>, frame: Buffer): string | null {
  try {
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    const api = apis.get(h.apiKey);
    if (api === undefined) return `api key ${h.apiKey} has no definition`;
    const body = decodeMessage<unknown>(api.request, h.apiVersion, r);
    if (r.remaining !== 0) return `${r.remaining} bytes left after decoding`;
    const w = new Writer();
    encodeRequestHeader(w, h);
    encodeMessage(api.request, h.apiVersion, body, w);
    const out = w.toBuffer();
    return out.equals(frame) ? null : hexDiff(frame, out);
  } catch (err) {
    return `threw: ${String(err)}`;
  }
}

function roundTripResponse(api: ApiDefinition, apiVersion: number, frame: Buffer): string | null {
  try {
    const version = responseVersion(api, apiVersion);
    const hv = responseHeaderVersion(api.apiKey, version);
    const r = new Reader(frame);
    const cid = decodeResponseHeader(r, hv);
    const body = decodeMessage<unknown>(api.response, version, r);
    if (r.remaining !== 0) return `${r.remaining} bytes left after decoding`;
    const w = new Writer();
    encodeResponseHeader(w, cid, hv);
    encodeMessage(api.response, version, body, w);
    const out = w.toBuffer();
    return out.equals(frame) ? null : hexDiff(frame, out);
  } catch (err) {
    return `threw: ${String(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Client drivers (everything goes to the proxy's address)

function kafkaAt(bootstrap: string, clientId: string): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
}

async function driveKafkajs(bootstrap: string, topic: string): Promise<void> {
  const kafka = kafkaAt(bootstrap, 'strand-capture-kafkajs');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    expect(created).toBe(true);
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }] });
    expect(cfg.resources[0]?.errorCode).toBe(0);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: [0, 1, 2, 3].map((i) => ({ key: `k-${i}`, value: `kafkajs-${i}`, headers: { seq: String(i) } })),
    });
  } finally {
    await producer.disconnect();
  }
  const admin2 = kafka.admin();
  await admin2.connect();
  try {
    const offsets = await admin2.fetchTopicOffsets(topic);
    expect(offsets[0]?.high).toBe('4');
  } finally {
    await admin2.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `${topic}-g`, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer read ${seen.length}/4 records in 20 s`)), 20_000);
      consumer
        .run({
          autoCommitInterval: 100,
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (seen.length >= 4) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    expect(seen).toEqual(['kafkajs-0', 'kafkajs-1', 'kafkajs-2', 'kafkajs-3']);
    // Let a heartbeat and an offset commit go out.
    await new Promise((r) => setTimeout(r, 1200));
  } finally {
    await consumer.disconnect();
  }
}

async function driveKcat(bootstrap: string, topic: string): Promise<void> {
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  for (const codec of codecs) {
    const lines = [0, 1].map((i) => `k-${codec}-${i}:v-${codec}-${i}`).join('\n') + '\n';
    await kcatOk(['-P', '-b', bootstrap, '-t', topic, '-p', '0', '-K', ':', '-H', 'h1=v1', '-H', `codec=${codec}`, '-z', codec, '-X', 'acks=all'], lines, {
      timeoutMs: 15_000,
    });
  }
  const consumed = await kcatOk(['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%k=%s\n'], undefined, { timeoutMs: 15_000 });
  expect(consumed.stdout.toString('utf8').trim().split('\n')).toHaveLength(codecs.length * 2);
  const md = await kcatOk(['-L', '-b', bootstrap, '-t', topic], undefined, { timeoutMs: 15_000 });
  expect(md.stdout.toString('utf8')).toContain(topic);
  // Balanced consumer: finds the coordinator, joins, syncs, fetches to the end, commits, leaves.
  const grouped = await kcatOk(
    // No -o: the start comes from the group's committed offsets (OffsetFetch), else earliest.
    ['-G', `${topic}-g`, '-b', bootstrap, '-e', '-f', '%s\n', '-X', 'auto.offset.reset=earliest', '-X', 'heartbeat.interval.ms=300', '-X', 'auto.commit.interval.ms=200', topic],
    undefined,
    { timeoutMs: 25_000 },
  );
  expect(grouped.stdout.toString('utf8').trim().split('\n')).toHaveLength(codecs.length * 2);
}

async function driveConfluent(bootstrap: string, topic: string): Promise<void> {
  const client = clientScript('confluent_client.py');
  const created = await runPythonJson<{ results: Record<string, string | null> }>(client, ['create_topics', JSON.stringify({ bootstrap, topics: [{ name: topic, partitions: 1 }] })], {
    timeoutMs: 20_000,
  });
  expect(created.results).toEqual({ [topic]: null });
  const described = await runPythonJson<{ error: string | null; configs: Record<string, unknown> }>(client, ['describe_configs', JSON.stringify({ bootstrap, topic })], {
    timeoutMs: 20_000,
  });
  expect(described.error).toBeNull();
  const produced = await runPythonJson<{ delivered: unknown[]; errors: unknown[] }>(
    client,
    ['produce', JSON.stringify({ bootstrap, topic, count: 5, idempotent: true, prefix: 'ck' })],
    { timeoutMs: 20_000 },
  );
  expect(produced.errors).toEqual([]);
  expect(produced.delivered).toHaveLength(5);
  const consumed = await runPythonJson<{ records: unknown[]; errors: unknown[] }>(client, ['consume', JSON.stringify({ bootstrap, topic, timeout: 15 })], {
    timeoutMs: 20_000,
  });
  expect(consumed.errors).toEqual([]);
  expect(consumed.records).toHaveLength(5);
}

async function driveKafkaPython(bootstrap: string, topic: string): Promise<void> {
  const client = clientScript('kafka_python_client.py');
  const produced = await runPythonJson<{ delivered: unknown[]; errors: unknown[] }>(client, ['produce', JSON.stringify({ bootstrap, topic, count: 5, prefix: 'kp' })], {
    timeoutMs: 20_000,
  });
  expect(produced.errors).toEqual([]);
  expect(produced.delivered).toHaveLength(5);
  const consumed = await runPythonJson<{ records: unknown[] }>(client, ['consume', JSON.stringify({ bootstrap, topic, timeout: 15 })], { timeoutMs: 20_000 });
  expect(consumed.records).toHaveLength(5);
}

// ---------------------------------------------------------------------------------------------

const CLIENTS: readonly ClientName[] = ['kafkajs', 'kcat', 'confluent-python', 'kafka-python'];

/** What each client is known to send in the flows above (names from our ApiDefinitions). */
const EXPECTED_APIS: Readonly<Record<ClientName, readonly string[]>> = {
  kafkajs: ['ApiVersions', 'Metadata', 'CreateTopics', 'DescribeConfigs', 'InitProducerId', 'Produce', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'OffsetFetch', 'OffsetCommit', 'LeaveGroup', 'Fetch'],
  kcat: ['ApiVersions', 'Metadata', 'Produce', 'ListOffsets', 'Fetch', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetFetch', 'OffsetCommit', 'LeaveGroup'],
  'confluent-python': ['ApiVersions', 'Metadata', 'CreateTopics', 'DescribeConfigs', 'InitProducerId', 'Produce', 'ListOffsets', 'Fetch'],
  'kafka-python': ['ApiVersions', 'Metadata', 'Produce', 'ListOffsets', 'Fetch'],
};

let broker: BrokerProcess | null = null;
const proxy = new RecordingProxy();
let apis: ReadonlyMap<number, ApiDefinition> = new Map();

beforeAll(async () => {
  // Missing tools fail here, loudly.
  requireKcat();
  requirePythonModules('confluent_kafka', 'kafka');
  apis = new Map([...handlerRegistry().values()].map((h) => [h.api.apiKey, h.api]));
  const proxyPort = await proxy.listen();
  broker = await startBroker({ extraArgs: ['--advertised', `${HOST}:${proxyPort}`] });
  proxy.setTarget(broker.port);
  const bootstrap = `${HOST}:${proxyPort}`;
  const drivers: Record<ClientName, (b: string, t: string) => Promise<void>> = {
    kafkajs: driveKafkajs,
    kcat: driveKcat,
    'confluent-python': driveConfluent,
    'kafka-python': driveKafkaPython,
  };
  for (const c of CLIENTS) {
    proxy.client = c;
    await drivers[c](bootstrap, uniqueTopic(`cap-${c}`));
  }
  // Let the last responses and closes drain through the proxy.
  await new Promise((r) => setTimeout(r, 200));
}, 55_000);

afterAll(async () => {
  await proxy.close();
  await cleanupBrokers();
});

function apiName(apiKey: number): string {
  return apis.get(apiKey)?.name ?? `api${apiKey}`;
}

describe('captured real-client frames', () => {
  it('the proxy saw well-formed traffic from every client, and a response for every request', () => {
    expect(proxy.errors).toEqual([]);
    for (const c of CLIENTS) expect(proxy.frames.filter((f) => f.client === c).length).toBeGreaterThan(0);
    // Every request got a response unless the client closed the connection while waiting (a
    // long-poll Fetch or a background Metadata refresh at exit); no flow here uses acks=0.
    const unanswered = proxy.frames.filter((f) => f.response === null && !f.abandoned).map((f) => `${f.client} ${apiName(f.apiKey)} v${f.apiVersion} cid ${f.correlationId}`);
    expect(unanswered).toEqual([]);
  });

  it('covers the APIs these clients really send (logged per client)', () => {
    const lines: string[] = [];
    for (const c of CLIENTS) {
      const pairs = new Set(proxy.frames.filter((f) => f.client === c).map((f) => `${apiName(f.apiKey)}(${f.apiKey}) v${f.apiVersion}`));
      lines.push(`${c}: ${[...pairs].sort().join(', ')}`);
    }
    const all = new Set(proxy.frames.map((f) => `${apiName(f.apiKey)}(${f.apiKey}) v${f.apiVersion}`));
    lines.push(`all: ${[...all].sort().join(', ')}`);
    lines.push(`frames: ${proxy.frames.length} (${proxy.frames.filter((f) => f.response !== null).length} with responses)`);
    console.log(`captured (api, version) pairs:\n${lines.join('\n')}`);
    const missing: string[] = [];
    for (const c of CLIENTS) {
      // Only answered requests count: the round-trip tests below cover request and response.
      const names = new Set(proxy.frames.filter((f) => f.client === c && f.response !== null).map((f) => apiName(f.apiKey)));
      for (const want of EXPECTED_APIS[c]) if (!names.has(want)) missing.push(`${c} ${want}`);
    }
    expect(missing).toEqual([]);
  });

  it('every request frame decodes and re-encodes byte-identically', () => {
    const failures: string[] = [];
    for (const f of proxy.frames) {
      const e = roundTripRequest(apis, f.request);
      if (e !== null) failures.push(`${f.client} ${apiName(f.apiKey)} v${f.apiVersion} request: ${e}`);
    }
    expect(failures).toEqual([]);
  });

  it('every response frame decodes and re-encodes byte-identically', () => {
    const failures: string[] = [];
    for (const f of proxy.frames) {
      const api = apis.get(f.apiKey);
      if (f.response === null) continue;
      if (api === undefined) {
        failures.push(`${f.client} api key ${f.apiKey}: no definition`);
        continue;
      }
      const e = roundTripResponse(api, f.apiVersion, f.response);
      if (e !== null) failures.push(`${f.client} ${api.name} v${f.apiVersion} response: ${e}`);
    }
    expect(failures).toEqual([]);
  });

  it('writes fixtures when STRAND_WRITE_CAPTURED_FIXTURES=1', () => {
    if (process.env.STRAND_WRITE_CAPTURED_FIXTURES !== '1') return;
    rmSync(FIXTURE_DIR, { recursive: true, force: true });
    mkdirSync(FIXTURE_DIR, { recursive: true });
    const best = new Map<string, CapturedFrame>();
    for (const f of proxy.frames) {
      // Keep the sample small: skip pairs over 1 KiB (e.g. full DescribeConfigs listings).
      if (f.response === null || f.request.length + f.response.length > FIXTURE_MAX_BYTES) continue;
      const key = `${f.client}-${apiName(f.apiKey)}`;
      const cur = best.get(key);
      const size = f.request.length + f.response.length;
      if (cur === undefined || size < cur.request.length + (cur.response?.length ?? 0)) best.set(key, f);
    }
    for (const [key, f] of best) {
      const doc = {
        client: f.client,
        api: apiName(f.apiKey),
        apiKey: f.apiKey,
        apiVersion: f.apiVersion,
        request: f.request.toString('hex'),
        response: f.response?.toString('hex') ?? null,
      };
      writeFileSync(join(FIXTURE_DIR, `${key}-v${f.apiVersion}.json`), `${JSON.stringify(doc, null, 1)}\n`);
    }
    expect(readdirSync(FIXTURE_DIR).length).toBe(best.size);
  });
});
