/**
 * KafkaConnection against scripted peers: version negotiation (incl. the error-35
 * fallback), pipelining order, timeouts, the in-flight bound, and every way a peer can
 * misbehave -> a typed error, never a crash or an unhandled rejection.
 */
import type { Socket } from 'node:net';
import { ApiVersions, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.js';
import { Fetch } from '../protocol/messages/fetch.js';
import { Produce } from '../protocol/messages/produce.js';
import { encodeMessage } from '../protocol/codec.js';
import { encodeResponseHeader } from '../protocol/headers.js';
import { Writer } from '../protocol/primitives.js';
import { KafkaConnection } from './connection.js';
import { ConnectError, ConnectionClosedError, PeerProtocolError, QueueFullError, RequestTimeoutError, UnsupportedApiError } from './errors.js';
import { rawFrame, responseFrame, startFakePeer, type FakePeer, type FakeRequest } from './test-support/fake-peer.js';

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));
afterEach(() => expect(unhandled).toEqual([]));

let peer: FakePeer | null = null;
const conns: KafkaConnection[] = [];
afterEach(async () => {
  await Promise.all(conns.splice(0).map((c) => c.close()));
  await peer?.close();
  peer = null;
});

async function open(handler: (req: FakeRequest, s: Socket) => void, opts: Partial<Parameters<typeof KafkaConnection.connect>[0]> = {}): Promise<KafkaConnection> {
  peer = await startFakePeer(handler);
  const c = await KafkaConnection.connect({ host: '127.0.0.1', port: peer.port, requestTimeoutMs: 2000, ...opts });
  conns.push(c);
  return c;
}

const emptyMetadata: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: 'h', port: 1, rack: null }],
  clusterId: 'c',
  controllerId: 1,
  topics: [],
  clusterAuthorizedOperations: -2147483648,
  errorCode: 0,
};

function apiVersionsBody(keys: Array<[number, number, number]>): ApiVersionsResponse {
  return {
    errorCode: 0,
    apiKeys: keys.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

/** The v0-shaped error-35 answer a broker gives to an ApiVersions version it does not know. */
function unsupportedApiVersionsFrame(req: FakeRequest, apiVersionsMax: number | null): Buffer {
  const w = new Writer();
  encodeResponseHeader(w, req.header.correlationId, 0);
  const keys: Array<[number, number, number]> = apiVersionsMax === null ? [] : [[18, 0, apiVersionsMax]];
  encodeMessage(ApiVersions.response, 0, { ...apiVersionsBody(keys), errorCode: 35 }, w);
  return rawFrame(w.toBuffer());
}

describe('version negotiation', () => {
  it('picks min(our max, their max) and refuses APIs without overlap', async () => {
    const c = await open((req, s) => {
      s.write(responseFrame(ApiVersions, req, apiVersionsBody([[18, 0, 3], [3, 0, 5], [1, 13, 17], [0, 3, 20]])));
    });
    const t = await c.negotiateVersions();
    expect(t.apiVersionsVersion).toBe(3);
    expect(t.pick(Metadata)).toBe(5);
    expect(t.pick(Produce)).toBe(Produce.maxVersion);
    expect(() => t.pick(Fetch)).toThrow(UnsupportedApiError); // theirs 13-17, ours up to 12
    expect(t.supports(Fetch)).toBe(false);
    expect(await c.negotiateVersions()).toBe(t); // cached: one exchange
    expect(peer?.requests.length).toBe(1);
    expect(peer?.requests[0]?.header.clientId).toBe('strand');
  });

  it('on error 35 retries at the ApiVersions version the broker lists, else v0', async () => {
    const c = await open((req, s) => {
      const v = req.header.apiVersion;
      if (v === 3) s.write(unsupportedApiVersionsFrame(req, 1));
      else s.write(responseFrame(ApiVersions, req, apiVersionsBody([[18, 0, 1], [3, 1, 9]])));
    });
    const t = await c.negotiateVersions();
    expect(peer?.requests.map((r) => r.header.apiVersion)).toEqual([3, 1]);
    expect(t.apiVersionsVersion).toBe(1);
    expect(t.pick(Metadata)).toBe(9);
  });

  it('falls back to v0 when the error-35 answer lists no ApiVersions range', async () => {
    const c = await open((req, s) => {
      if (req.header.apiVersion > 0) s.write(unsupportedApiVersionsFrame(req, null));
      else s.write(responseFrame(ApiVersions, req, apiVersionsBody([[18, 0, 0], [3, 0, 1]])));
    });
    const t = await c.negotiateVersions();
    expect(peer?.requests.map((r) => r.header.apiVersion)).toEqual([3, 0]);
    expect(t.pick(Metadata)).toBe(1);
  });
});

describe('requests', () => {
  it('pipelines requests and matches answers in order, delayed or not', async () => {
    let chain = Promise.resolve();
    const c = await open((req, s) => {
      // Answer in order (as a broker must), the first one late so the others pile up.
      const delay = req.header.correlationId === 0 ? 50 : 0;
      chain = chain
        .then(() => new Promise((r) => setTimeout(r, delay)))
        .then(() => void s.write(responseFrame(Metadata, req, { ...emptyMetadata, controllerId: req.header.correlationId })));
    });
    const all = await Promise.all(Array.from({ length: 20 }, () => c.request<MetadataResponse>(Metadata, 1, { topics: null })));
    expect(all.map((r) => r.controllerId)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a request timing out after being sent closes the connection; neighbours fail typed', async () => {
    const c = await open(() => undefined, { maxInFlight: 1 });
    const slow = c.request(Metadata, 1, { topics: null }, { timeoutMs: 100 }).catch((e: unknown) => e);
    const other = c.request(Metadata, 1, { topics: null }, { timeoutMs: 5000 }).catch((e: unknown) => e);
    const t0 = Date.now();
    expect(await slow).toBeInstanceOf(RequestTimeoutError);
    expect(Date.now() - t0).toBeLessThan(250);
    const e = await other;
    expect(e).toBeInstanceOf(ConnectionClosedError);
    expect((e as ConnectionClosedError).sent).toBe(false); // it was still queued behind the window
    expect(c.closed).toBe(true);
  });

  it('a request timing out while queued is dropped without closing the connection', async () => {
    const held: Array<() => void> = [];
    const c = await open((req, s) => held.push(() => s.write(responseFrame(Metadata, req, emptyMetadata))), { maxInFlight: 1 });
    const first = c.request<MetadataResponse>(Metadata, 1, { topics: null }, { timeoutMs: 2000 });
    const queued = c.request(Metadata, 1, { topics: null }, { timeoutMs: 50 });
    await expect(queued).rejects.toBeInstanceOf(RequestTimeoutError);
    held.shift()?.();
    await expect(first).resolves.toMatchObject({ controllerId: 1 });
    expect(c.closed).toBe(false);
    expect(peer?.requests.length).toBe(1);
  });

  it('bounds the in-flight window and the queue behind it', async () => {
    const held: Array<() => void> = [];
    const c = await open((req, s) => held.push(() => s.write(responseFrame(Metadata, req, emptyMetadata))), { maxInFlight: 2, maxQueued: 2 });
    const ps = Array.from({ length: 4 }, () => c.request(Metadata, 1, { topics: null }));
    await expect(c.request(Metadata, 1, { topics: null })).rejects.toBeInstanceOf(QueueFullError);
    await new Promise((r) => setTimeout(r, 50));
    expect(peer?.requests.length).toBe(2);
    expect([c.inFlightCount, c.queuedCount]).toEqual([2, 2]);
    while (held.length > 0 || peer?.requests.length !== 4) {
      held.shift()?.();
      await new Promise((r) => setTimeout(r, 10));
    }
    held.splice(0).forEach((f) => f());
    await Promise.all(ps);
    expect(peer?.requests.length).toBe(4);
  });

  it('acks=0 produce resolves once written (no answer expected)', async () => {
    const c = await open(() => undefined);
    const body = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(70) }] }] };
    await expect(c.request(Produce, 3, body, { expectResponse: false })).resolves.toBeUndefined();
    expect(c.inFlightCount).toBe(0);
  });

  it('rejects a body that cannot be encoded at the version, without sending', async () => {
    const c = await open(() => undefined);
    await expect(c.request(Metadata, 1, { topics: null, allowAutoTopicCreation: false })).rejects.toThrow(/not supported at version 1/);
    await new Promise((r) => setTimeout(r, 20));
    expect(peer?.requests.length).toBe(0);
  });
});

describe('misbehaving peers', () => {
  it('connection refused -> ConnectError', async () => {
    const p = await startFakePeer(() => undefined);
    const port = p.port;
    await p.close();
    await expect(KafkaConnection.connect({ host: '127.0.0.1', port })).rejects.toBeInstanceOf(ConnectError);
  });

  it('peer closes mid-response -> ConnectionClosedError for in-flight and queued requests', async () => {
    const c = await open((req, s) => {
      const frame = responseFrame(Metadata, req, emptyMetadata);
      s.write(frame.subarray(0, 10), () => s.destroy());
    }, { maxInFlight: 1 });
    const first = c.request(Metadata, 1, { topics: null });
    const queued = c.request(Metadata, 1, { topics: null });
    const e1 = await first.catch((e: unknown) => e);
    const e2 = await queued.catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConnectionClosedError);
    expect((e1 as ConnectionClosedError).sent).toBe(true);
    expect(e2).toBeInstanceOf(ConnectionClosedError);
    expect((e2 as ConnectionClosedError).sent).toBe(false);
    expect(c.closed).toBe(true);
    const e3 = await c.request(Metadata, 1, { topics: null }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(ConnectionClosedError);
  });

  it.each([
    ['a negative frame size', Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0])],
    ['a frame larger than the limit', Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
    ['a frame shorter than a correlation id', Buffer.from([0, 0, 0, 2, 0, 0])],
    ['an unknown correlation id', rawFrame(Buffer.from([0, 0, 0x30, 0x39, 1, 2, 3]))],
  ])('%s -> PeerProtocolError and a closed connection', async (_label, garbage) => {
    const c = await open((_req, s) => s.write(garbage), { maxResponseBytes: 1024 * 1024 });
    const err = await c.request(Metadata, 1, { topics: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerProtocolError);
    expect(c.closed).toBe(true);
  });

  it('an undecodable body fails that request only; the connection stays usable', async () => {
    const c = await open((req, s) => {
      if (req.header.correlationId === 0) {
        const id = Buffer.alloc(4);
        id.writeInt32BE(0, 0);
        s.write(rawFrame(Buffer.concat([id, Buffer.from([0, 0, 0, 5, 1])]))); // array of 5 brokers, 1 byte
      } else {
        s.write(responseFrame(Metadata, req, emptyMetadata));
      }
    });
    await expect(c.request(Metadata, 1, { topics: null })).rejects.toBeInstanceOf(PeerProtocolError);
    await expect(c.request<MetadataResponse>(Metadata, 1, { topics: null })).resolves.toMatchObject({ controllerId: 1 });
    expect(c.closed).toBe(false);
  });

  it('close() rejects what is pending, and close(drainMs) lets answers arrive first', async () => {
    const c = await open((req, s) => setTimeout(() => s.write(responseFrame(Metadata, req, emptyMetadata)), 50));
    const drained = c.request(Metadata, 1, { topics: null });
    await c.close(1000);
    await expect(drained).resolves.toMatchObject({ controllerId: 1 });

    const c2 = await KafkaConnection.connect({ host: '127.0.0.1', port: peer?.port ?? 0 });
    const pending = c2.request(Metadata, 1, { topics: null }).catch((e: unknown) => e);
    await c2.close();
    expect(await pending).toBeInstanceOf(ConnectionClosedError);
  });
});
