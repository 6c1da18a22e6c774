/**
 * OffsetFetch (key 9): committed offsets of a group. v0-7 ask about one group (topics null =
 * all, v2+); v8+ ask about several groups at once and answer per group. v9 (KIP-848) adds
 * the new-protocol member id/epoch.
 */
import type { ApiDefinition, Field, MessageSchema } from '../schema-types.js';

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequestGroup {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  /** null = every partition the group has offsets for. */
  topics: OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchRequest {
  /** v0-7 only. */
  groupId: string;
  /** v0-7 only; null (v2+) = all topics. */
  topics: OffsetFetchRequestTopic[] | null;
  /** v8+ only. */
  groups: OffsetFetchRequestGroup[];
  requireStable: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponseGroup {
  groupId: string;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  /** v0-7 only. */
  topics: OffsetFetchResponseTopic[];
  /** v2-7 only (group-level error). */
  errorCode: number;
  /** v8+ only. */
  groups: OffsetFetchResponseGroup[];
}

function requestTopicsStruct(versions: string): readonly Field[] {
  return [
    { name: 'name', type: 'string', versions },
    { name: 'partitionIndexes', type: { array: 'int32' }, versions },
  ];
}

const request: MessageSchema = {
  name: 'OffsetFetchRequest',
  apiKey: 9,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0-7' },
    {
      name: 'topics',
      versions: '0-7',
      nullableVersions: '2-7',
      type: { array: { struct: requestTopicsStruct('0-7') } },
    },
    {
      name: 'groups',
      versions: '8+',
      type: {
        array: {
          struct: [
            { name: 'groupId', type: 'string', versions: '8+' },
            { name: 'memberId', type: 'string', versions: '9+', nullableVersions: '9+', default: null, ignorable: true },
            { name: 'memberEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
            {
              name: 'topics',
              versions: '8+',
              nullableVersions: '8+',
              type: { array: { struct: requestTopicsStruct('8+') } },
            },
          ],
        },
      },
    },
    { name: 'requireStable', type: 'bool', versions: '7+', default: false },
  ],
};

/** The per-topic answer; identical in the v0-7 and v8+ shapes except for the version ranges. */
function responseTopicsStruct(versions: string, epochVersions: string): readonly Field[] {
  return [
    { name: 'name', type: 'string', versions },
    {
      name: 'partitions',
      versions,
      type: {
        array: {
          struct: [
            { name: 'partitionIndex', type: 'int32', versions },
            { name: 'committedOffset', type: 'int64', versions },
            { name: 'committedLeaderEpoch', type: 'int32', versions: epochVersions, default: -1, ignorable: true },
            { name: 'metadata', type: 'string', versions, nullableVersions: versions },
            { name: 'errorCode', type: 'int16', versions },
          ],
        },
      },
    },
  ];
}

const response: MessageSchema = {
  name: 'OffsetFetchResponse',
  apiKey: 9,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    { name: 'topics', versions: '0-7', type: { array: { struct: responseTopicsStruct('0-7', '5-7') } } },
    { name: 'errorCode', type: 'int16', versions: '2-7', default: 0, ignorable: true },
    {
      name: 'groups',
      versions: '8+',
      type: {
        array: {
          struct: [
            { name: 'groupId', type: 'string', versions: '8+' },
            { name: 'topics', versions: '8+', type: { array: { struct: responseTopicsStruct('8+', '8+') } } },
            { name: 'errorCode', type: 'int16', versions: '8+', default: 0, ignorable: true },
          ],
        },
      },
    },
  ],
};

export const OffsetFetch: ApiDefinition = {
  apiKey: 9,
  name: 'OffsetFetch',
  request,
  response,
  minVersion: 1,
  maxVersion: 8,
};
