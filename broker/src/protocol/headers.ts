/**
 * Request and response headers.
 *
 * Request header v0: apiKey, apiVersion, correlationId. v1 adds clientId (nullable, int16
 * length — still NOT compact in v2, for compatibility). v2 adds a tagged-fields section.
 * Response header v0: correlationId; v1 adds a tagged-fields section.
 * A request/response uses v2/v1 iff the API version is flexible, except that ApiVersions
 * responses always use v0 (a client must parse them before it knows our versions) and
 * ControlledShutdown v0 uses request header v0.
 */
import { ProtocolError, Reader, Writer } from './primitives.js';

/** First flexible version per API key (-1: never flexible), from Kafka's message JSON files. */
const FIRST_FLEXIBLE: Readonly<Record<number, number>> = {
  0: 9, // Produce
  1: 12, // Fetch
  2: 6, // ListOffsets
  3: 9, // Metadata
  4: 4, // LeaderAndIsr
  5: 2, // StopReplica
  6: 6, // UpdateMetadata
  7: 3, // ControlledShutdown
  8: 8, // OffsetCommit
  9: 6, // OffsetFetch
  10: 3, // FindCoordinator
  11: 6, // JoinGroup
  12: 4, // Heartbeat
  13: 4, // LeaveGroup
  14: 4, // SyncGroup
  15: 5, // DescribeGroups
  16: 3, // ListGroups
  17: -1, // SaslHandshake
  18: 3, // ApiVersions
  19: 5, // CreateTopics
  20: 4, // DeleteTopics
  21: 2, // DeleteRecords
  22: 2, // InitProducerId
  23: 4, // OffsetForLeaderEpoch
  24: 3, // AddPartitionsToTxn
  25: 3, // AddOffsetsToTxn
  26: 3, // EndTxn
  27: 1, // WriteTxnMarkers
  28: 3, // TxnOffsetCommit
  29: 2, // DescribeAcls
  30: 2, // CreateAcls
  31: 2, // DeleteAcls
  32: 4, // DescribeConfigs
  33: 2, // AlterConfigs
  34: 2, // AlterReplicaLogDirs
  35: 2, // DescribeLogDirs
  36: 2, // SaslAuthenticate
  37: 2, // CreatePartitions
  38: 2, // CreateDelegationToken
  39: 2, // RenewDelegationToken
  40: 2, // ExpireDelegationToken
  41: 2, // DescribeDelegationToken
  42: 2, // DeleteGroups
  43: 2, // ElectLeaders
  44: 1, // IncrementalAlterConfigs
  47: -1, // OffsetDelete
  48: 1, // DescribeClientQuotas
  49: 1, // AlterClientQuotas
};

/** Whether `apiVersion` of `apiKey` is a flexible version. Keys >= 45 not listed are flexible from v0. */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const first = FIRST_FLEXIBLE[apiKey] ?? (apiKey >= 45 ? 0 : -1);
  return first >= 0 && apiVersion >= first;
}

export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === 7 && apiVersion === 0) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 2 : 1;
}

export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === 18) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly headerVersion: 0 | 1 | 2;
}

/** Skips a tagged-fields section: headers define no tags we use. */
function skipTaggedFields(r: Reader): void {
  const n = r.readUnsignedVarInt();
  for (let i = 0; i < n; i++) {
    r.readUnsignedVarInt(); // tag
    r.skip(r.readUnsignedVarInt());
  }
}

/** Decodes a request header; the reader is left at the start of the request body. */
export function decodeRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  let clientId: string | null = null;
  if (headerVersion >= 1) clientId = r.readNullableString();
  if (headerVersion >= 2) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId, headerVersion };
}

/** For clients we run ourselves (tests, follower fetchers). */
export function encodeRequestHeader(
  w: Writer,
  h: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null },
): void {
  const hv = requestHeaderVersion(h.apiKey, h.apiVersion);
  w.writeInt16(h.apiKey).writeInt16(h.apiVersion).writeInt32(h.correlationId);
  if (hv >= 1) w.writeNullableString(h.clientId);
  if (hv >= 2) w.writeUnsignedVarInt(0);
}

export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.writeInt32(correlationId);
  if (headerVersion === 1) w.writeUnsignedVarInt(0);
}

/** Returns the correlation id; the reader is left at the start of the response body. */
export function decodeResponseHeader(r: Reader, headerVersion: 0 | 1): number {
  const correlationId = r.readInt32();
  if (headerVersion === 1) skipTaggedFields(r);
  return correlationId;
}

/** Reads just enough of a frame to route it, without trusting the rest. */
export function peekApiKeyVersion(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8) throw new ProtocolError('request frame shorter than a header');
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}
