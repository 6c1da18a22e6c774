/**
 * Record formats of the internal topic __consumer_offsets, byte-compatible with Kafka so
 * that Kafka's own tools (kafka-console-consumer with the offsets formatter, kafka-dump-log
 * --offsets-decoder) can read what Strand writes, and vice versa.
 *
 * Key and value are each a big-endian int16 followed by a struct. In the key the int16 is the
 * record type (Kafka 3.x calls it the key "version"): 0 and 1 = offset commit (same layout,
 * Kafka writes 1), 2 = group metadata; Kafka 3.7+ uses 3+ for new-protocol (KIP-848) groups,
 * which Strand does not write. The key struct itself is always at schema version 0. In the
 * value the int16 is the value's schema version. A null value is a tombstone.
 *
 * These are plain data, not API messages: apiKey -1, and `type: 'request'` only because the
 * schema format requires one of the two.
 */
import type { MessageSchema } from '../schema-types.js';
import { decodeMessage, encodeMessage } from '../codec.js';
import { ProtocolError, Reader, Writer } from '../primitives.js';

/** Key record types (the key's int16 prefix). */
export const OFFSET_COMMIT_KEY_TYPE_LEGACY = 0;
export const OFFSET_COMMIT_KEY_TYPE = 1;
export const GROUP_METADATA_KEY_TYPE = 2;

/**
 * Kafka 3.x writes OffsetCommitValue v3 (v1 only when an explicit expire timestamp is set,
 * from v2-4 OffsetCommit requests) and GroupMetadataValue v3. The flexible v4s exist for
 * KIP-915 forward compatibility and are not written by default.
 */
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;

/** Highest value version we know the layout of; KIP-915 promises later ones only add tagged fields. */
const MAX_KNOWN_VALUE_VERSION = 4;

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export type ConsumerOffsetsKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string };

export interface OffsetCommitValue {
  offset: number;
  /** v3+; -1 = unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** v1 only; -1 = none (broker retention applies). */
  expireTimestamp: number;
}

export interface GroupMemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** v2+; -1 = unknown. */
  currentStateTimestamp: number;
  members: GroupMemberMetadata[];
}

export const OffsetCommitKeySchema: MessageSchema = {
  name: 'OffsetCommitKey',
  apiKey: -1,
  type: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    { name: 'group', type: 'string', versions: '0' },
    { name: 'topic', type: 'string', versions: '0' },
    { name: 'partition', type: 'int32', versions: '0' },
  ],
};

export const GroupMetadataKeySchema: MessageSchema = {
  name: 'GroupMetadataKey',
  apiKey: -1,
  type: 'request',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [{ name: 'group', type: 'string', versions: '0' }],
};

export const OffsetCommitValueSchema: MessageSchema = {
  name: 'OffsetCommitValue',
  apiKey: -1,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'offset', type: 'int64', versions: '0+' },
    { name: 'leaderEpoch', type: 'int32', versions: '3+', default: -1, ignorable: true },
    { name: 'metadata', type: 'string', versions: '0+' },
    { name: 'commitTimestamp', type: 'int64', versions: '0+' },
    { name: 'expireTimestamp', type: 'int64', versions: '1', default: -1, ignorable: true },
  ],
};

export const GroupMetadataValueSchema: MessageSchema = {
  name: 'GroupMetadataValue',
  apiKey: -1,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'protocolType', type: 'string', versions: '0+' },
    { name: 'generation', type: 'int32', versions: '0+' },
    { name: 'protocol', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'leader', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'currentStateTimestamp', type: 'int64', versions: '2+', default: -1, ignorable: true },
    {
      name: 'members',
      versions: '0+',
      type: {
        array: {
          // Kafka's MemberMetadata common struct; it is versioned with the enclosing value.
          struct: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null, ignorable: true },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'rebalanceTimeout', type: 'int32', versions: '1+', ignorable: true },
            { name: 'sessionTimeout', type: 'int32', versions: '0+' },
            { name: 'subscription', type: 'bytes', versions: '0+' },
            { name: 'assignment', type: 'bytes', versions: '0+' },
          ],
        },
      },
    },
  ],
};

function withPrefix(prefix: number, schema: MessageSchema, version: number, value: unknown): Buffer {
  const w = new Writer(128);
  w.writeInt16(prefix);
  encodeMessage(schema, version, value, w);
  return w.toBuffer();
}

function decodeAll<T>(schema: MessageSchema, version: number, r: Reader): T {
  const v = decodeMessage<T>(schema, version, r);
  if (r.remaining !== 0) throw new ProtocolError(`${schema.name} v${version}: ${r.remaining} trailing bytes`);
  return v;
}

export function encodeOffsetCommitKey(key: OffsetCommitKey, keyType: number = OFFSET_COMMIT_KEY_TYPE): Buffer {
  if (keyType !== OFFSET_COMMIT_KEY_TYPE && keyType !== OFFSET_COMMIT_KEY_TYPE_LEGACY) {
    throw new ProtocolError(`offset commit key type must be 0 or 1, got ${keyType}`);
  }
  return withPrefix(keyType, OffsetCommitKeySchema, 0, key);
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return withPrefix(GROUP_METADATA_KEY_TYPE, GroupMetadataKeySchema, 0, { group });
}

/**
 * Throws ProtocolError for any other key type, including the KIP-848 record types a Kafka
 * 3.7+ coordinator may have written; a loader that wants to skip those should read the int16
 * itself first (see consumerOffsetsKeyType).
 */
export function decodeConsumerOffsetsKey(buf: Buffer): ConsumerOffsetsKey {
  const r = new Reader(buf);
  const keyType = r.readInt16();
  if (keyType === OFFSET_COMMIT_KEY_TYPE || keyType === OFFSET_COMMIT_KEY_TYPE_LEGACY) {
    const k = decodeAll<OffsetCommitKey>(OffsetCommitKeySchema, 0, r);
    return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  }
  if (keyType === GROUP_METADATA_KEY_TYPE) {
    const k = decodeAll<{ group: string }>(GroupMetadataKeySchema, 0, r);
    return { type: 'group', group: k.group };
  }
  throw new ProtocolError(`__consumer_offsets key type ${keyType} is not an offset commit or group metadata key`);
}

/** The key's record type (int16 prefix), without decoding the rest. */
export function consumerOffsetsKeyType(buf: Buffer): number {
  return new Reader(buf).readInt16();
}

/** The value's schema version (int16 prefix). */
export function consumerOffsetsValueVersion(buf: Buffer): number {
  return new Reader(buf).readInt16();
}

/** Defaults to what Kafka 3.x writes: v1 if an expire timestamp is set, else v3. */
export function encodeOffsetCommitValue(v: OffsetCommitValue, version?: number): Buffer {
  const ver = version ?? (v.expireTimestamp >= 0 ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION);
  return withPrefix(ver, OffsetCommitValueSchema, ver, v);
}

export function encodeGroupMetadataValue(v: GroupMetadataValue, version: number = GROUP_METADATA_VALUE_VERSION): Buffer {
  return withPrefix(version, GroupMetadataValueSchema, version, v);
}

/** Versions above 4 are read as v4 (unknown tagged fields skipped), as KIP-915 intends. */
function readValueVersion(r: Reader, name: string): number {
  const version = r.readInt16();
  if (version < 0) throw new ProtocolError(`${name}: negative version ${version}`);
  return Math.min(version, MAX_KNOWN_VALUE_VERSION);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  return decodeAll<OffsetCommitValue>(OffsetCommitValueSchema, readValueVersion(r, 'OffsetCommitValue'), r);
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  return decodeAll<GroupMetadataValue>(GroupMetadataValueSchema, readValueVersion(r, 'GroupMetadataValue'), r);
}
