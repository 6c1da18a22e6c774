import type { ApiDefinition, Field, FieldType, MessageSchema } from './schema-types.js';
import { decodeFromBuffer, encodeToBuffer } from './codec.js';
import { ProtocolError, Reader, Writer } from './primitives.js';
import { defaultFactory, isArrayType, isStructType } from './codec-defaults.js';
import { inVersionRange, parseVersionRange } from './versions.js';
import { ApiVersions } from './messages/api-versions.js';
import { Metadata } from './messages/metadata.js';
import { Produce } from './messages/produce.js';
import { Fetch } from './messages/fetch.js';
import { ListOffsets } from './messages/list-offsets.js';
import { InitProducerId } from './messages/init-producer-id.js';

/** Builds a representative value: non-default data for every field present at `version`. */
function sample(fields: readonly Field[], version: number, flexible: boolean, seed: { n: number }): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const tagged = flexible && f.taggedVersions !== undefined && inVersionRange(f.taggedVersions, version);
    const present = tagged || (f.taggedVersions === undefined && inVersionRange(f.versions, version));
    if (!present) {
      o[f.name] = defaultFactory(f)();
      continue;
    }
    seed.n++;
    if (inVersionRange(f.nullableVersions, version) && seed.n % 3 === 0) o[f.name] = null;
    else o[f.name] = sampleType(f.type, version, flexible, seed);
  }
  return o;
}

function sampleType(t: FieldType, version: number, flexible: boolean, seed: { n: number }): unknown {
  seed.n++;
  if (isArrayType(t)) return [sampleType(t.array, version, flexible, seed), sampleType(t.array, version, flexible, seed)];
  if (isStructType(t)) return sample(t.struct, version, flexible, seed);
  const n = seed.n;
  switch (t) {
    case 'bool':
      return n % 2 === 0;
    case 'int8':
      return (n % 200) - 100;
    case 'int16':
      return n * 7;
    case 'uint16':
      return 60000 + n;
    case 'int32':
      return n * 1000 + 17;
    case 'uint32':
      return 4000000000 + n;
    case 'int64':
      return 1700000000000 + n;
    case 'float64':
      return n + 0.5;
    case 'string':
      return `s${n}-ü`;
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2]);
    case 'records':
      return Buffer.alloc(300 + n, n & 0xff);
    case 'uuid':
      return n.toString(16).padStart(32, 'a');
  }
  throw new Error('unreachable');
}

const apis: ApiDefinition[] = [ApiVersions, Metadata, Produce, Fetch, ListOffsets, InitProducerId];
const cases: [string, MessageSchema, number][] = [];
for (const api of apis) {
  for (const schema of [api.request, api.response]) {
    const r = parseVersionRange(schema.validVersions);
    for (let v = r.min; v <= r.max; v++) cases.push([`${schema.name} v${v}`, schema, v]);
  }
}

describe('round-trip every API at every version', () => {
  it.each(cases)('%s', (_label, schema, version) => {
    const flexible = inVersionRange(schema.flexibleVersions, version);
    const value = sample(schema.fields, version, flexible, { n: version });
    const bytes = encodeToBuffer(schema, version, value);
    const decoded = decodeFromBuffer<Record<string, unknown>>(schema, version, bytes);
    expect(decoded).toEqual(value);
    expect(encodeToBuffer(schema, version, decoded).equals(bytes)).toBe(true);
  });

  it('advertised ranges are inside validVersions', () => {
    for (const api of apis) {
      expect(inVersionRange(api.request.validVersions, api.minVersion)).toBe(true);
      expect(inVersionRange(api.request.validVersions, api.maxVersion)).toBe(true);
      expect(inVersionRange(api.response.validVersions, api.maxVersion)).toBe(true);
    }
  });
});

describe('codec semantics', () => {
  const schema: MessageSchema = {
    name: 'T',
    apiKey: 999,
    type: 'request',
    validVersions: '0-2',
    flexibleVersions: '1+',
    fields: [
      { name: 'a', type: 'int32', versions: '0+' },
      { name: 'b', type: 'string', versions: '1+' },
      { name: 'c', type: 'int64', versions: '2+', ignorable: true, default: -1 },
      { name: 'd', type: 'int32', versions: '1+', taggedVersions: '1+', tag: 3, default: 5 },
    ],
  };

  it('fills defaults for absent fields on decode', () => {
    const buf = new Writer().writeInt32(9).toBuffer();
    expect(decodeFromBuffer(schema, 0, buf)).toEqual({ a: 9, b: '', c: -1, d: 5 });
  });

  it('throws when a non-ignorable field has a value the version cannot carry', () => {
    expect(() => encodeToBuffer(schema, 0, { a: 1, b: 'x', c: -1, d: 5 })).toThrow(ProtocolError);
    // ignorable: silently dropped
    expect(encodeToBuffer(schema, 1, { a: 1, b: '', c: 77, d: 5 }).length).toBe(4 + 1 + 1);
  });

  it('omits default tagged fields and writes others', () => {
    expect([...encodeToBuffer(schema, 1, { a: 0, b: '', c: -1, d: 5 })]).toEqual([0, 0, 0, 0, 1, 0]);
    expect([...encodeToBuffer(schema, 1, { a: 0, b: '', c: -1, d: 6 })]).toEqual([0, 0, 0, 0, 1, 1, 3, 4, 0, 0, 0, 6]);
  });

  it('skips unknown tagged fields', () => {
    const buf = Buffer.from([
      ...[0, 0, 0, 1], // a
      ...[2, 0x61], // b
      ...[0, 0, 0, 0, 0, 0, 0, 0], // c
      3, // three tagged fields
      ...[0, 2, 0xaa, 0xbb], // unknown tag 0
      ...[3, 4, 0, 0, 0, 8], // d
      ...[9, 1, 0xcc], // unknown tag 9
    ]);
    expect(decodeFromBuffer(schema, 2, buf)).toEqual({
      a: 1,
      b: 'a',
      c: 0,
      d: 8,
    });
  });

  it('rejects truncated messages and a wrong version with ProtocolError', () => {
    const full = encodeToBuffer(Produce.request, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.alloc(10) }] }],
    });
    for (let i = 0; i < full.length; i++) {
      expect(() => decodeFromBuffer(Produce.request, 9, full.subarray(0, i))).toThrow(ProtocolError);
    }
    expect(() => decodeFromBuffer(Produce.request, 99, full)).toThrow(ProtocolError);
  });

  it('decodes records zero-copy and encodes Buffer[] chunks without copying', () => {
    const chunkA = Buffer.alloc(1000, 1);
    const chunkB = Buffer.alloc(2000, 2);
    const w = new Writer();
    const { encodeMessage } = requireCodec();
    encodeMessage(Fetch.response, 12, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5, records: [chunkA, chunkB] }] }],
    }, w);
    const out = w.finish();
    expect(out.chunks).toContain(chunkA);
    expect(out.chunks).toContain(chunkB);
    const flat = Buffer.concat(out.chunks);
    const decoded = decodeFromBuffer<{ responses: { partitions: { records: Buffer }[] }[] }>(Fetch.response, 12, flat);
    const rec = decoded.responses[0]?.partitions[0]?.records;
    expect(rec?.equals(Buffer.concat([chunkA, chunkB]))).toBe(true);
    expect(rec?.buffer).toBe(flat.buffer);
  });

  it('decodes a reader positioned mid-buffer', () => {
    const body = encodeToBuffer(InitProducerId.request, 4, { transactionalId: 'tx', transactionTimeoutMs: 5, producerId: -1, producerEpoch: -1 });
    const r = new Reader(Buffer.concat([Buffer.from([9, 9]), body]), 2);
    const { decodeMessage } = requireCodec();
    expect(decodeMessage(InitProducerId.request, 4, r)).toEqual({ transactionalId: 'tx', transactionTimeoutMs: 5, producerId: -1, producerEpoch: -1 });
  });
});

import * as codec from './codec.js';
function requireCodec(): typeof codec {
  return codec;
}
