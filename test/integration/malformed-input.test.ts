/**
 * Invariant 7: malformed input (random bytes, truncated frames and bodies, huge or negative
 * size prefixes, unknown APIs, bad versions, bad CRCs) gets a Kafka error or a closed
 * connection, never a crash or a hang, and never damages stored data. Seeded PRNG, bounded
 * case counts; after every case a fresh connection must still be served, and at the end a
 * real client reads back exactly the records stored before the abuse.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { createTopics } from '../helpers/kafkajs.js';
import { compareRead, KCAT_FORMAT, kcatInput, makeRecords, parseKcatOutput, type SentRecord } from '../helpers/records.js';
import { kcatOk, requireKcat } from '../helpers/tools.js';
import {
  API_API_VERSIONS,
  API_METADATA,
  API_PRODUCE,
  apiVersionsProbe,
  BATCH_CRC_COVERS_FROM,
  BATCH_CRC_OFFSET,
  apiVersionsV3Body,
  fixBatchCrc,
  framed,
  metadataV1Body,
  metadataV9Body,
  parseApiVersionsV0Response,
  parseProduceV3Response,
  produceV3Body,
  prng,
  RawConnection,
  recordBatch,
  requestFrame,
  requestFrameV2,
  Writer,
} from '../helpers/wire.js';

const SEED = Number(process.env.STRAND_FUZZ_SEED ?? 0x5eed);
const CORRUPT_MESSAGE = 2;

let broker: BrokerProcess;
let topic: string;
/** Target of the mutated produce requests (a mutation outside the CRC may legitimately append). */
let scratch: string;
let stored: SentRecord[] = [];

beforeAll(async () => {
  requireKcat();
  broker = await startBroker();
  topic = uniqueTopic('fuzz');
  scratch = uniqueTopic('scratch-zzzzzz');
  await createTopics(broker, [{ topic }, { topic: scratch }]);
  stored = makeRecords(2_000, 'pre-', 5);
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-X', 'acks=all'], kcatInput(stored));
}, 30_000);

afterAll(async () => {
  await cleanupBrokers();
});

type Outcome = 'response' | 'closed';

/**
 * Sends `bytes` on a fresh connection (optionally half-closing after), and returns what the
 * broker did: answered (some frame) or closed. A hang (neither within the timeout) fails.
 */
async function send(bytes: Buffer, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<{ outcome: Outcome; payload?: Buffer }> {
  const conn = await RawConnection.open(broker.host, broker.port);
  try {
    await conn.write(bytes);
    if (opts.halfClose === true) conn.end();
    const r = await conn.next(opts.timeoutMs ?? 5000);
    if (r.kind === 'timeout') throw new Error(`broker neither answered nor closed within ${opts.timeoutMs ?? 5000} ms for input ${bytes.subarray(0, 64).toString('hex')} (${bytes.length} bytes)`);
    return r.kind === 'frame' ? { outcome: 'response', payload: r.payload } : { outcome: 'closed' };
  } finally {
    conn.destroy();
  }
}

/** The broker still serves a normal request on another connection. */
async function assertAlive(context: string): Promise<void> {
  if (!broker.running) throw new Error(`broker process died after ${context}; log:\n${broker.logTail(3000)}`);
  try {
    const av = await apiVersionsProbe(broker.host, broker.port, 3000);
    expect(av.errorCode).toBe(0);
  } catch (err) {
    throw new Error(`broker stopped serving after ${context}: ${err instanceof Error ? err.message : String(err)}; log:\n${broker.logTail(3000)}`);
  }
}

async function highWatermark(t: string): Promise<number> {
  const r = await kcatOk(['-Q', '-b', broker.bootstrap, '-t', `${t}:0:-1`]);
  const m = /offset (-?\d+)/.exec(r.stdout.toString('utf8'));
  if (m === null) throw new Error(`kcat -Q printed no offset: ${r.stdout.toString('utf8')} ${r.stderr}`);
  return Number(m[1]);
}

async function assertStoredIntact(): Promise<void> {
  const read = parseKcatOutput((await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT])).stdout);
  expect(compareRead(stored, read, 0)).toBeNull();
}

function validProduce(correlationId: number, records = 3, target = topic): Buffer {
  const batch = recordBatch(
    Array.from({ length: records }, (_, i) => ({ key: Buffer.from(`raw-k${i}`), value: Buffer.from(`raw-v${i}`) })),
    Date.now(),
  );
  return requestFrame(API_PRODUCE, 3, correlationId, produceV3Body(target, 0, batch));
}

function validRequests(): Buffer[] {
  return [
    requestFrame(API_API_VERSIONS, 0, 11, Buffer.alloc(0)),
    requestFrame(API_METADATA, 1, 12, metadataV1Body([scratch])),
    requestFrame(API_METADATA, 1, 13, metadataV1Body(null)),
    validProduce(14, 3, scratch),
    requestFrameV2(API_API_VERSIONS, 3, 15, apiVersionsV3Body()),
    requestFrameV2(API_METADATA, 9, 16, metadataV9Body([scratch, 'x'])),
  ];
}

test('a hand-built Produce v3 with a valid CRC is accepted (the codec used below is right)', async () => {
  const r = await send(validProduce(7001));
  expect(r.outcome).toBe('response');
  const res = parseProduceV3Response(r.payload ?? Buffer.alloc(0));
  expect(res.correlationId).toBe(7001);
  expect(res.results).toEqual([{ topic, partition: 0, errorCode: 0, baseOffset: BigInt(stored.length) }]);
  // It is a real append: account for it in what must survive.
  stored = [...stored, ...[0, 1, 2].map((i) => ({ key: `raw-k${i}`, value: `raw-v${i}` }))];
  await assertStoredIntact();
});

test('Produce with a corrupted CRC or corrupted records gets CORRUPT_MESSAGE and stores nothing', async () => {
  const rnd = prng(SEED + 1);
  for (let i = 0; i < 20; i++) {
    const batch = recordBatch([{ key: Buffer.from('bad'), value: Buffer.from(`corrupt-${i}`) }], Date.now());
    if (i % 2 === 0) {
      batch.writeUInt32BE((batch.readUInt32BE(BATCH_CRC_OFFSET) ^ (1 + Math.floor(rnd() * 0xfffffffe))) >>> 0, BATCH_CRC_OFFSET);
    } else {
      // Flip one byte in the CRC-covered region (attributes..end), leaving the stored CRC.
      const pos = BATCH_CRC_COVERS_FROM + Math.floor(rnd() * (batch.length - BATCH_CRC_COVERS_FROM));
      batch[pos] = (batch[pos] ?? 0) ^ (1 + Math.floor(rnd() * 255));
    }
    const r = await send(requestFrame(API_PRODUCE, 3, 8000 + i, produceV3Body(topic, 0, batch)));
    if (i % 2 === 0) {
      // A bad CRC over an intact batch must be reported, not dropped silently.
      expect(r.outcome).toBe('response');
      const res = parseProduceV3Response(r.payload ?? Buffer.alloc(0));
      expect(res.correlationId).toBe(8000 + i);
      expect(res.results.map((x) => x.errorCode)).toEqual([CORRUPT_MESSAGE]);
    } else if (r.outcome === 'response') {
      const res = parseProduceV3Response(r.payload ?? Buffer.alloc(0));
      expect(res.results.every((x) => x.errorCode !== 0)).toBe(true);
    }
    await assertAlive(`corrupted produce #${i}`);
  }
  await assertStoredIntact();
}, 60_000);

test('the flexible (v3 / v9) requests used below are answered normally', async () => {
  const av = await send(requestFrameV2(API_API_VERSIONS, 3, 15, apiVersionsV3Body()));
  expect(av.outcome).toBe('response');
  expect(av.payload?.readInt32BE(0)).toBe(15);
  expect(av.payload?.readInt16BE(4)).toBe(0);
  const md = await send(requestFrameV2(API_METADATA, 9, 16, metadataV9Body([scratch])));
  expect(md.outcome).toBe('response');
  expect(md.payload?.readInt32BE(0)).toBe(16);
});

test('structurally invalid batches with a valid CRC are rejected and leave the partition readable', async () => {
  const highBefore = await highWatermark(scratch);
  const records = [0, 1, 2, 3].map((i) => ({ key: Buffer.from(`s${i}`), value: Buffer.from(`struct-${i}`) }));
  const mk = (): Buffer => recordBatch(records, Date.now());
  const cases: Array<[string, Buffer]> = [];
  {
    const b = mk();
    b.writeInt32BE(7, 23); // lastOffsetDelta != count - 1
    cases.push(['lastOffsetDelta does not match the records', fixBatchCrc(b)]);
  }
  {
    const b = mk();
    b.writeInt32BE(9, 57); // record count larger than the records present
    cases.push(['record count larger than the records present', fixBatchCrc(b)]);
  }
  {
    const b = mk();
    b.writeInt8(1, 16); // magic 1 in a v3 produce
    cases.push(['magic 1', fixBatchCrc(b)]);
  }
  {
    const b = mk();
    b.writeInt32BE(b.readInt32BE(8) + 40, 8); // batchLength beyond the bytes sent
    cases.push(['batchLength beyond the end', b]);
  }
  {
    const b = Buffer.concat([mk(), mk().subarray(0, 30)]); // a valid batch followed by a torn one
    cases.push(['a valid batch followed by a torn batch', b]);
  }
  {
    const b = mk();
    b.writeInt16BE(0x0007, 21); // compression codec 7 (does not exist)
    cases.push(['unknown compression codec', fixBatchCrc(b)]);
  }
  for (const [i, [name, batch]] of cases.entries()) {
    const r = await send(requestFrame(API_PRODUCE, 3, 9100 + i, produceV3Body(scratch, 0, batch)));
    if (r.outcome === 'response') {
      const res = parseProduceV3Response(r.payload ?? Buffer.alloc(0));
      expect({ name, errorCodes: res.results.map((x) => x.errorCode === 0) }).toEqual({ name, errorCodes: [false] });
    }
    await assertAlive(name);
  }
  expect(await highWatermark(scratch)).toBe(highBefore);
  await kcatOk(['-C', '-b', broker.bootstrap, '-t', scratch, '-p', '0', '-o', 'beginning', '-e', '-q']);
  await assertStoredIntact();
});

test('pipelined requests on one connection (after garbage on others) are answered in order', async () => {
  const reqs: Buffer[] = [];
  const ids: number[] = [];
  for (let i = 0; i < 60; i++) {
    const id = 20_000 + i;
    ids.push(id);
    if (i % 3 === 0) reqs.push(requestFrame(API_API_VERSIONS, 0, id, Buffer.alloc(0)));
    else if (i % 3 === 1) reqs.push(requestFrame(API_METADATA, 1, id, metadataV1Body([scratch])));
    else reqs.push(validProduce(id, 2, scratch));
  }
  const conn = await RawConnection.open(broker.host, broker.port);
  try {
    await conn.write(Buffer.concat(reqs));
    const got: number[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const r = await conn.next(10_000);
      if (r.kind !== 'frame') throw new Error(`response #${i}: ${r.kind}`);
      got.push(r.payload.readInt32BE(0));
      if (i % 3 === 2) expect(parseProduceV3Response(r.payload).results.map((x) => x.errorCode)).toEqual([0]);
    }
    expect(got).toEqual(ids);
  } finally {
    conn.destroy();
  }
});

test('size prefix > 100 MiB or negative: the connection is closed', async () => {
  for (const size of [100 * 1024 * 1024 + 1, 0x7fffffff, -1, -0x80000000]) {
    const r = await send(new Writer().int32(size).int16(API_API_VERSIONS).int16(0).int32(1).build());
    expect({ size, outcome: r.outcome }).toEqual({ size, outcome: 'closed' });
    await assertAlive(`size prefix ${size}`);
  }
});

test('unknown api keys and unsupported versions: an error response or a closed connection', async () => {
  // ApiVersions at a version we do not know: error 35 in a v0-shaped body listing ApiVersions.
  const av = await send(requestFrame(API_API_VERSIONS, 99, 31, Buffer.alloc(0)));
  expect(av.outcome).toBe('response');
  const parsed = parseApiVersionsV0Response(av.payload ?? Buffer.alloc(0));
  expect(parsed.correlationId).toBe(31);
  expect(parsed.errorCode).toBe(35);
  expect(parsed.apis.map((a) => a.apiKey)).toContain(API_API_VERSIONS);

  const cases: Array<[number, number]> = [
    [9999, 0],
    [-1, 0],
    [1000, 3],
    [API_METADATA, 99],
    [API_PRODUCE, 99],
    [API_PRODUCE, -1],
    [1, 999],
  ];
  for (const [apiKey, version] of cases) {
    const r = await send(requestFrame(apiKey, version, 4000 + apiKey, Buffer.alloc(8)));
    if (r.outcome === 'response') {
      // A response must at least carry our correlation id.
      expect((r.payload ?? Buffer.alloc(0)).readInt32BE(0)).toBe(4000 + apiKey);
    }
    await assertAlive(`api ${apiKey} v${version}`);
  }
});

test('truncated frames (connection closed mid-frame) and truncated bodies (consistent size prefix)', async () => {
  const rnd = prng(SEED + 2);
  const reqs = validRequests();
  for (let i = 0; i < 40; i++) {
    const req = reqs[i % reqs.length] as Buffer;
    if (i % 2 === 0) {
      // Half a frame, then the client goes away.
      const cut = 1 + Math.floor(rnd() * (req.length - 2));
      const conn = await RawConnection.open(broker.host, broker.port);
      await conn.write(req.subarray(0, cut));
      conn.destroy();
    } else {
      // A complete frame whose body stops early (prefix rewritten to match).
      const payload = req.subarray(4);
      const cut = 8 + Math.floor(rnd() * Math.max(1, payload.length - 9));
      const r = await send(framed(payload.subarray(0, cut)));
      if (r.outcome === 'response') expect((r.payload ?? Buffer.alloc(0)).readInt32BE(0)).toBe(payload.readInt32BE(4));
    }
    await assertAlive(`truncated input #${i}`);
  }
  await assertStoredIntact();
}, 60_000);

test('random bytes (seeded): never a crash or hang; stored data intact', async () => {
  const rnd = prng(SEED + 3);
  const reqs = validRequests();
  for (let i = 0; i < 400; i++) {
    let bytes: Buffer;
    const mode = i % 4;
    if (mode === 0) {
      // Pure noise.
      bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256)));
    } else if (mode === 1) {
      // Plausible size prefix, noise body.
      const body = Buffer.from(Array.from({ length: 4 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      bytes = framed(body);
    } else {
      // A valid request with a few bytes mutated after the size prefix.
      bytes = Buffer.from(reqs[Math.floor(rnd() * reqs.length)] as Buffer);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) {
        const pos = 4 + Math.floor(rnd() * (bytes.length - 4));
        bytes[pos] = Math.floor(rnd() * 256);
      }
    }
    const conn = await RawConnection.open(broker.host, broker.port);
    await conn.write(bytes);
    conn.end();
    // Drain whatever comes back until the broker closes; a hang fails.
    for (;;) {
      const r = await conn.next(5000);
      if (r.kind === 'closed') break;
      if (r.kind === 'timeout') throw new Error(`case #${i} (seed ${SEED}): broker neither answered nor closed; input ${bytes.subarray(0, 64).toString('hex')}`);
    }
    conn.destroy();
    await assertAlive(`random case #${i} (seed ${SEED})`);
  }
  // A real client still works and sees exactly the data stored before.
  await assertStoredIntact();
}, 120_000);
