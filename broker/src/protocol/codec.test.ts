/** Codec semantics; the every-API, every-version round trip is in round-trip.test.ts. */
import type { MessageSchema } from './schema-types.js';
import { decodeFromBuffer, encodeToBuffer } from './codec.js';
import { ProtocolError, Reader, Writer } from './primitives.js';
import { Produce } from './messages/produce.js';
import { Fetch } from './messages/fetch.js';
import { InitProducerId } from './messages/init-producer-id.js';

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
