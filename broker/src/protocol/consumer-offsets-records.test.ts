/**
 * __consumer_offsets key/value helpers. The hand-made byte vectors are written from Kafka's
 * layout (int16 version, then the struct fields in order, classic non-flexible encodings),
 * not from our encoder, so they catch a wrong field order or width in the schemas.
 */
import { ProtocolError } from './primitives.js';
import { versionsOf, sampleMessage } from './test-support/sample-message.js';
import {
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  consumerOffsetsValueVersion,
  GroupMetadataValueSchema,
  OffsetCommitValueSchema,
  type GroupMetadataValue,
  type OffsetCommitValue,
} from './messages/consumer-offsets-records.js';

const i16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function i64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
}
/** Classic (non-compact) string: int16 length, -1 = null. */
const str = (s: string | null): Buffer => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));
/** Classic bytes: int32 length. */
const bytes = (b: Buffer): Buffer => Buffer.concat([i32(b.length), b]);

describe('__consumer_offsets keys', () => {
  it('offset commit key: int16 type 1, group, topic, partition', () => {
    const buf = encodeOffsetCommitKey({ group: 'g', topic: 'tp', partition: 3 });
    expect([...buf]).toEqual([0, 1, 0, 1, 0x67, 0, 2, 0x74, 0x70, 0, 0, 0, 3]);
    expect(decodeConsumerOffsetsKey(buf)).toEqual({ type: 'offset', group: 'g', topic: 'tp', partition: 3 });
  });

  it('reads legacy type-0 offset keys', () => {
    const buf = encodeOffsetCommitKey({ group: 'grp', topic: 't', partition: 0 }, 0);
    expect(buf.readInt16BE(0)).toBe(0);
    expect(decodeConsumerOffsetsKey(buf)).toEqual({ type: 'offset', group: 'grp', topic: 't', partition: 0 });
  });

  it('group metadata key: int16 type 2, group', () => {
    const buf = encodeGroupMetadataKey('group-ü');
    expect(buf.equals(Buffer.concat([i16(2), str('group-ü')]))).toBe(true);
    expect(decodeConsumerOffsetsKey(buf)).toEqual({ type: 'group', group: 'group-ü' });
  });

  it('rejects other key types, trailing bytes and truncation with ProtocolError', () => {
    expect(() => decodeConsumerOffsetsKey(Buffer.concat([i16(3), str('g')]))).toThrow(ProtocolError);
    expect(() => decodeConsumerOffsetsKey(Buffer.concat([encodeGroupMetadataKey('g'), Buffer.from([0])]))).toThrow(ProtocolError);
    const full = encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 1 });
    for (let i = 0; i < full.length; i++) expect(() => decodeConsumerOffsetsKey(full.subarray(0, i))).toThrow(ProtocolError);
    expect(() => encodeOffsetCommitKey({ group: 'g', topic: 't', partition: 1 }, 2)).toThrow(ProtocolError);
  });
});

describe('OffsetCommitValue', () => {
  it.each(versionsOf(OffsetCommitValueSchema))('round-trips v%i', (version) => {
    for (let seed = 0; seed < 3; seed++) {
      const v = sampleMessage(OffsetCommitValueSchema, version, seed) as unknown as OffsetCommitValue;
      const buf = encodeOffsetCommitValue(v, version);
      expect(consumerOffsetsValueVersion(buf)).toBe(version);
      expect(decodeOffsetCommitValue(buf)).toEqual(v);
      expect(encodeOffsetCommitValue(decodeOffsetCommitValue(buf), version).equals(buf)).toBe(true);
    }
  });

  it('v1 hand-made bytes: offset, metadata, commitTimestamp, expireTimestamp', () => {
    const buf = Buffer.concat([i16(1), i64(100), str('meta'), i64(1_700_000_000_000), i64(1_700_000_600_000)]);
    const v = decodeOffsetCommitValue(buf);
    expect(v.offset).toBe(100);
    expect(v.leaderEpoch).toBe(-1); // absent before v3
    expect(v.metadata).toBe('meta');
    expect(v.commitTimestamp).toBe(1_700_000_000_000);
    expect(v.expireTimestamp).toBe(1_700_000_600_000);
    expect(encodeOffsetCommitValue(v, 1).equals(buf)).toBe(true);
    // With an expire timestamp the default version is v1, as Kafka writes it.
    expect(encodeOffsetCommitValue(v).equals(buf)).toBe(true);
  });

  it('v3 hand-made bytes: offset, leaderEpoch, metadata, commitTimestamp', () => {
    const buf = Buffer.concat([i16(3), i64(2 ** 40 + 7), i32(12), str(''), i64(1_700_000_000_123)]);
    const v = decodeOffsetCommitValue(buf);
    expect(v).toEqual({ offset: 2 ** 40 + 7, leaderEpoch: 12, metadata: '', commitTimestamp: 1_700_000_000_123, expireTimestamp: -1 });
    expect(encodeOffsetCommitValue(v, 3).equals(buf)).toBe(true);
    // v3 is what Kafka 3.x writes by default.
    expect(encodeOffsetCommitValue(v).equals(buf)).toBe(true);
  });

  it('v4 is flexible (compact string, tagged fields); unknown tags and newer versions are readable', () => {
    const v: OffsetCommitValue = { offset: 5, leaderEpoch: 1, metadata: 'm', commitTimestamp: 9, expireTimestamp: -1 };
    const expected = Buffer.concat([i16(4), i64(5), i32(1), Buffer.from([2, 0x6d]), i64(9), Buffer.from([0])]);
    expect(encodeOffsetCommitValue(v, 4).equals(expected)).toBe(true);
    // A future version with one unknown tagged field (tag 7, 2 bytes), as KIP-915 allows.
    const future = Buffer.concat([i16(5), i64(5), i32(1), Buffer.from([2, 0x6d]), i64(9), Buffer.from([1, 7, 2, 0xaa, 0xbb])]);
    expect(decodeOffsetCommitValue(future)).toEqual(v);
  });
});

describe('GroupMetadataValue', () => {
  it.each(versionsOf(GroupMetadataValueSchema))('round-trips v%i', (version) => {
    for (let seed = 0; seed < 3; seed++) {
      const v = sampleMessage(GroupMetadataValueSchema, version, seed) as unknown as GroupMetadataValue;
      const buf = encodeGroupMetadataValue(v, version);
      expect(consumerOffsetsValueVersion(buf)).toBe(version);
      expect(decodeGroupMetadataValue(buf)).toEqual(v);
      expect(encodeGroupMetadataValue(decodeGroupMetadataValue(buf), version).equals(buf)).toBe(true);
    }
  });

  it('v3 hand-made bytes, field by field (the version Kafka 3.x writes)', () => {
    const subscription = Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 0x74]);
    const assignment = Buffer.from([0, 1, 0, 0, 0, 0]);
    const buf = Buffer.concat([
      i16(3),
      str('consumer'), // protocolType
      i32(7), // generation
      str('range'), // protocol (nullable)
      str('m-1'), // leader (nullable)
      i64(1_700_000_000_000), // currentStateTimestamp
      i32(2), // members
      ...[str('m-1'), str('static-1'), str('cli'), str('/10.0.0.1'), i32(300_000), i32(45_000), bytes(subscription), bytes(assignment)],
      ...[str('m-2'), str(null), str('cli'), str('/10.0.0.2'), i32(60_000), i32(10_000), bytes(Buffer.alloc(0)), bytes(Buffer.alloc(0))],
    ]);
    const v = decodeGroupMetadataValue(buf);
    expect(v.protocolType).toBe('consumer');
    expect(v.generation).toBe(7);
    expect(v.protocol).toBe('range');
    expect(v.leader).toBe('m-1');
    expect(v.currentStateTimestamp).toBe(1_700_000_000_000);
    expect(v.members).toHaveLength(2);
    const [m1, m2] = v.members;
    expect(m1?.memberId).toBe('m-1');
    expect(m1?.groupInstanceId).toBe('static-1');
    expect(m1?.clientId).toBe('cli');
    expect(m1?.clientHost).toBe('/10.0.0.1');
    expect(m1?.rebalanceTimeout).toBe(300_000);
    expect(m1?.sessionTimeout).toBe(45_000);
    expect(m1?.subscription.equals(subscription)).toBe(true);
    expect(m1?.assignment.equals(assignment)).toBe(true);
    expect(m2?.groupInstanceId).toBeNull();
    expect(m2?.subscription.length).toBe(0);
    expect(encodeGroupMetadataValue(v).equals(buf)).toBe(true);
  });

  it('an empty group (null protocol and leader) at v0', () => {
    const buf = Buffer.concat([i16(0), str(''), i32(0), str(null), str(null), i32(0)]);
    expect(decodeGroupMetadataValue(buf)).toEqual({
      protocolType: '',
      generation: 0,
      protocol: null,
      leader: null,
      currentStateTimestamp: -1,
      members: [],
    });
  });
});
