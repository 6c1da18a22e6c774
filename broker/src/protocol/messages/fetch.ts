/**
 * Fetch (key 1). Response records are written as zero-copy chunks: a partition's `records`
 * may be a Buffer[] of whole batches read from segment files.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';
import { leaderIdAndEpochFields, nodeEndpointFields, type LeaderIdAndEpoch, type NodeEndpoint } from './produce.js';

export type { LeaderIdAndEpoch, NodeEndpoint } from './produce.js';

export interface ReplicaState {
  replicaId: number;
  replicaEpoch: number;
}

export interface FetchPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  replicaDirectoryId: string;
}

export interface FetchTopic {
  /** Topic name (v12 and below); "" from v13, which uses topicId. */
  topic: string;
  topicId: string;
  partitions: FetchPartition[];
}

export interface ForgottenTopic {
  topic: string;
  topicId: string;
  partitions: number[];
}

export interface FetchRequest {
  clusterId: string | null;
  /** -1 for consumers; a broker id for followers (v14 and below; later in replicaState). */
  replicaId: number;
  replicaState: ReplicaState;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: FetchTopic[];
  forgottenTopicsData: ForgottenTopic[];
  rackId: string;
}

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

export interface SnapshotId {
  endOffset: number;
  epoch: number;
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchPartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  divergingEpoch: EpochEndOffset;
  currentLeader: LeaderIdAndEpoch;
  snapshotId: SnapshotId;
  abortedTransactions: AbortedTransaction[] | null;
  preferredReadReplica: number;
  /** Decoded: a slice of the frame. Encoded: a Buffer or zero-copy Buffer[] chunks. */
  records: Buffer | Buffer[] | null;
}

export interface FetchableTopicResponse {
  topic: string;
  topicId: string;
  partitions: FetchPartitionData[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: FetchableTopicResponse[];
  nodeEndpoints: NodeEndpoint[];
}

const request: MessageSchema = {
  name: 'FetchRequest',
  apiKey: 1,
  type: 'request',
  validVersions: '4-17',
  flexibleVersions: '12+',
  fields: [
    {
      name: 'clusterId',
      type: 'string',
      versions: '12+',
      nullableVersions: '12+',
      default: null,
      taggedVersions: '12+',
      tag: 0,
      ignorable: true,
    },
    { name: 'replicaId', type: 'int32', versions: '0-14', default: -1 },
    {
      name: 'replicaState',
      versions: '15+',
      taggedVersions: '15+',
      tag: 1,
      type: {
        struct: [
          { name: 'replicaId', type: 'int32', versions: '15+', default: -1 },
          { name: 'replicaEpoch', type: 'int64', versions: '15+', default: -1 },
        ],
      },
    },
    { name: 'maxWaitMs', type: 'int32', versions: '0+' },
    { name: 'minBytes', type: 'int32', versions: '0+' },
    { name: 'maxBytes', type: 'int32', versions: '3+', default: 0x7fffffff, ignorable: true },
    { name: 'isolationLevel', type: 'int8', versions: '4+', default: 0 },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0 },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1 },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0-12', ignorable: true },
            { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partition', type: 'int32', versions: '0+' },
                    { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
                    { name: 'fetchOffset', type: 'int64', versions: '0+' },
                    { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1, ignorable: false },
                    { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
                    { name: 'partitionMaxBytes', type: 'int32', versions: '0+' },
                    {
                      name: 'replicaDirectoryId',
                      type: 'uuid',
                      versions: '17+',
                      taggedVersions: '17+',
                      tag: 0,
                      ignorable: true,
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    {
      name: 'forgottenTopicsData',
      versions: '7+',
      ignorable: false,
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '7-12', ignorable: true },
            { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
            { name: 'partitions', type: { array: 'int32' }, versions: '7+' },
          ],
        },
      },
    },
    { name: 'rackId', type: 'string', versions: '11+', default: '', ignorable: true },
  ],
};

const response: MessageSchema = {
  name: 'FetchResponse',
  apiKey: 1,
  type: 'response',
  validVersions: '4-17',
  flexibleVersions: '12+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '7+', ignorable: true },
    { name: 'sessionId', type: 'int32', versions: '7+', default: 0, ignorable: false },
    {
      name: 'responses',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0-12', ignorable: true },
            { name: 'topicId', type: 'uuid', versions: '13+', ignorable: true },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partitionIndex', type: 'int32', versions: '0+' },
                    { name: 'errorCode', type: 'int16', versions: '0+' },
                    { name: 'highWatermark', type: 'int64', versions: '0+' },
                    { name: 'lastStableOffset', type: 'int64', versions: '4+', default: -1, ignorable: true },
                    { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
                    {
                      name: 'divergingEpoch',
                      versions: '12+',
                      taggedVersions: '12+',
                      tag: 0,
                      type: {
                        struct: [
                          { name: 'epoch', type: 'int32', versions: '12+', default: -1 },
                          { name: 'endOffset', type: 'int64', versions: '12+', default: -1 },
                        ],
                      },
                    },
                    {
                      name: 'currentLeader',
                      versions: '12+',
                      taggedVersions: '12+',
                      tag: 1,
                      type: { struct: leaderIdAndEpochFields('12+') },
                    },
                    {
                      name: 'snapshotId',
                      versions: '12+',
                      taggedVersions: '12+',
                      tag: 2,
                      type: {
                        struct: [
                          { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
                          { name: 'epoch', type: 'int32', versions: '0+', default: -1 },
                        ],
                      },
                    },
                    {
                      name: 'abortedTransactions',
                      versions: '4+',
                      nullableVersions: '4+',
                      ignorable: true,
                      type: {
                        array: {
                          struct: [
                            { name: 'producerId', type: 'int64', versions: '4+' },
                            { name: 'firstOffset', type: 'int64', versions: '4+' },
                          ],
                        },
                      },
                    },
                    { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1, ignorable: false },
                    { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    {
      name: 'nodeEndpoints',
      versions: '16+',
      taggedVersions: '16+',
      tag: 0,
      ignorable: true,
      type: { array: { struct: nodeEndpointFields('16+') } },
    },
  ],
};

export const Fetch: ApiDefinition = {
  apiKey: 1,
  name: 'Fetch',
  request,
  response,
  minVersion: 4,
  maxVersion: 12,
};
