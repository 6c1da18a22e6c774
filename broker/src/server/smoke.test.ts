/**
 * In-process smoke test: a real broker on 127.0.0.1:0 in a temp dir, driven by kafkajs
 * (admin + producer) and by a raw client built on our codec (fetch, error paths). Consumer
 * groups are a later issue, so records are read back with plain Fetch requests.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { startBroker, type RunningBroker } from '../broker.js';
import { parseBrokerArgs } from '../config.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../protocol/headers.js';
import { ApiVersions } from '../protocol/messages/api-versions.js';
import { Fetch, type FetchRequest, type FetchResponse } from '../protocol/messages/fetch.js';
import { Produce } from '../protocol/messages/produce.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { decodeBatches } from '../protocol/records/record-codec.js';
import { buildBatchSync } from '../protocol/records/record-codec.js';
import type { ApiDefinition } from '../protocol/schema-types.js';

class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: ((frame: Buffer) => void)[] = [];
  private corr = 0;
  closed: Promise<void>;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const size = this.buf.readInt32BE(0);
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }

  sendRaw(payload: Buffer): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([size, payload]));
  }

  request<T>(api: ApiDefinition, version: number, body: unknown, decodeVersion = version): Promise<T> {
    const w = new Writer();
    const correlationId = ++this.corr;
    encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId: 'smoke' });
    encodeMessage(api.request, version, body, w);
    const p = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    this.sendRaw(w.toBuffer());
    return p.then((frame) => {
      const r = new Reader(frame);
      expect(decodeResponseHeader(r, responseHeaderVersion(api.apiKey, decodeVersion))).toBe(correlationId);
      return decodeMessage<T>(api.response, decodeVersion, r);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const fetchRequest = (topic: string, partition: number, offset: number, maxWaitMs = 0, minBytes = 1): FetchRequest => ({
  clusterId: null,
  replicaId: -1,
  replicaState: { replicaId: -1, replicaEpoch: -1 },
  maxWaitMs,
  minBytes,
  maxBytes: 1 << 20,
  isolationLevel: 0,
  sessionId: 0,
  sessionEpoch: -1,
  topics: [
    {
      topic,
      topicId: '00000000000000000000000000000000',
      partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: '00000000000000000000000000000000' }],
    },
  ],
  forgottenTopicsData: [],
  rackId: '',
});

let dir: string;
let broker: RunningBroker;
let kafka: Kafka;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'strand-smoke-'));
  const config = parseBrokerArgs(['--listen', '127.0.0.1:0', '--data-dir', dir, '--set', 'socket.request.max.bytes=1000000'], {});
  broker = await startBroker(config, pino({ level: 'silent' }));
  kafka = new Kafka({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'smoke', logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('broker smoke', () => {
  it('binds an ephemeral port and advertises it', () => {
    expect(broker.port).toBeGreaterThan(0);
    expect(broker.config.advertised.port).toBe(broker.port);
  });

  it('creates a topic, produces with keys and headers, and reads it back', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 2 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = await producer.send({
      topic: 'smoke',
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { h: `x${i}` }, partition: 0 })),
    });
    expect(sent).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: '0' })]);
    await producer.send({ topic: 'smoke', messages: [{ key: 'a', value: 'b', partition: 0 }] });

    const offsets = await admin.fetchTopicOffsets('smoke');
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ high: '11', low: '0' });
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ high: '0', low: '0' });

    const raw = await RawClient.connect(broker.port);
    const res = await raw.request<FetchResponse>(Fetch, 11, fetchRequest('smoke', 0, 0));
    const part = res.responses[0]?.partitions[0];
    expect(part).toMatchObject({ errorCode: 0, highWatermark: 11, lastStableOffset: 11, logStartOffset: 0 });
    const batches = await decodeBatches(part?.records as Buffer);
    const recs = batches.flatMap((b) => b.records);
    expect(recs.map((r) => r.offset)).toEqual([...Array(11).keys()]);
    expect(recs[3]?.key?.toString()).toBe('k3');
    expect(recs[3]?.value?.toString()).toBe('v3');
    expect(recs[3]?.headers).toEqual([{ key: 'h', value: Buffer.from('x3') }]);

    const oor = await raw.request<FetchResponse>(Fetch, 11, fetchRequest('smoke', 0, 99));
    expect(oor.responses[0]?.partitions[0]?.errorCode).toBe(1); // OFFSET_OUT_OF_RANGE
    const unknown = await raw.request<FetchResponse>(Fetch, 11, fetchRequest('nope', 0, 0));
    expect(unknown.responses[0]?.partitions[0]?.errorCode).toBe(3);
    raw.close();
    await producer.disconnect();
    await admin.disconnect();
  });

  it('long-polls a fetch until data arrives, keeping responses in order', async () => {
    const raw = await RawClient.connect(broker.port);
    const started = Date.now();
    const poll = raw.request<FetchResponse>(Fetch, 11, fetchRequest('smoke', 1, 0, 10_000));
    // Pipelined behind the long poll on the same connection: answered after it.
    const versions = raw.request<{ errorCode: number }>(ApiVersions, 3, { clientSoftwareName: 'smoke', clientSoftwareVersion: '1' });
    let versionsDone = false;
    void versions.then(() => (versionsDone = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(versionsDone).toBe(false);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'smoke', messages: [{ value: 'late', partition: 1 }] });
    const res = await poll;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.responses[0]?.partitions[0]?.highWatermark).toBe(1);
    expect((await versions).errorCode).toBe(0);
    await producer.disconnect();
    raw.close();
  });

  it('answers an unknown ApiVersions version with error 35 in a v0 body', async () => {
    const raw = await RawClient.connect(broker.port);
    const w = new Writer();
    w.writeInt16(18).writeInt16(99).writeInt32(7).writeNullableString('x').writeUnsignedVarInt(0);
    const p = new Promise<Buffer>((resolve) => (raw as unknown as { waiting: ((f: Buffer) => void)[] }).waiting.push(resolve));
    raw.sendRaw(w.toBuffer());
    const r = new Reader(await p);
    expect(r.readInt32()).toBe(7);
    const body = decodeMessage<{ errorCode: number; apiKeys: { apiKey: number; maxVersion: number }[] }>(ApiVersions.response, 0, r);
    expect(body.errorCode).toBe(35);
    expect(body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    raw.close();
  });

  it('closes the connection on an unknown api key, a bad frame size, or a truncated body', async () => {
    const a = await RawClient.connect(broker.port);
    const w = new Writer();
    w.writeInt16(999).writeInt16(0).writeInt32(1).writeNullableString(null);
    a.sendRaw(w.toBuffer());
    await a.closed;

    const b = await RawClient.connect(broker.port);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(2_000_000);
    (b as unknown as { socket: net.Socket }).socket.write(huge);
    await b.closed;

    const c = await RawClient.connect(broker.port);
    const t = new Writer();
    t.writeInt16(0).writeInt16(7).writeInt32(1).writeNullableString(null).writeInt16(1);
    c.sendRaw(t.toBuffer());
    await c.closed;
  });

  it('sends no response for acks=0 and still appends', async () => {
    const raw = await RawClient.connect(broker.port);
    const batch = buildBatchSync({ records: [{ key: null, value: Buffer.from('zero') }] });
    const w = new Writer();
    encodeRequestHeader(w, { apiKey: 0, apiVersion: 7, correlationId: 100, clientId: null });
    encodeMessage(Produce.request, 7, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 'smoke', partitionData: [{ index: 1, records: batch }] }] }, w);
    raw.sendRaw(w.toBuffer());
    // The next response on the connection is the fetch's, not a produce response.
    const res = await raw.request<FetchResponse>(Fetch, 11, fetchRequest('smoke', 1, 1));
    expect(res.responses[0]?.partitions[0]?.highWatermark).toBe(2);
    raw.close();
  });
});
