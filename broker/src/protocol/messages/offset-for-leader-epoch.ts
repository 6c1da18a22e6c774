/**
 * OffsetForLeaderEpoch (key 23). Per Kafka's OffsetForLeaderEpochRequest/Response.json.
 * Versions 0-1 were removed in Kafka 4.0; v2 is the baseline (adds CurrentLeaderEpoch for
 * fencing), v3 adds ReplicaId, v4 is the first flexible version. The response JSON still
 * lists 0-4, but only 2-4 can be paired with a request, so both schemas say 2-4.
 *
 * A follower sends this before fetching to find where its log diverges from the leader's:
 * for each partition, the end offset of `leaderEpoch` on the leader (the start offset of the
 * next higher epoch, or the LEO when it is the current epoch).
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

/** ReplicaId of a consumer; -2 (the default) is a "debug" consumer, allowed past the HW. */
export const CONSUMER_REPLICA_ID = -1;
export const DEBUG_REPLICA_ID = -2;
/** EndOffset / LeaderEpoch when the leader has no entry for the epoch. */
export const UNDEFINED_EPOCH_OFFSET = -1;
export const UNDEFINED_EPOCH = -1;

export interface OffsetForLeaderPartition {
  partition: number;
  /** The requester's view of the leader epoch (fencing); -1 = unknown/skip the check. */
  currentLeaderEpoch: number;
  /** The epoch to look up. */
  leaderEpoch: number;
}

export interface OffsetForLeaderTopic {
  topic: string;
  partitions: OffsetForLeaderPartition[];
}

export interface OffsetForLeaderEpochRequest {
  /** v3+: the follower's broker id, -1 for consumers (default -2). */
  replicaId: number;
  topics: OffsetForLeaderTopic[];
}

export interface EpochEndOffsetResult {
  errorCode: number;
  partition: number;
  leaderEpoch: number;
  endOffset: number;
}

export interface OffsetForLeaderTopicResult {
  topic: string;
  partitions: EpochEndOffsetResult[];
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: OffsetForLeaderTopicResult[];
}

const request: MessageSchema = {
  name: 'OffsetForLeaderEpochRequest',
  apiKey: 23,
  type: 'request',
  validVersions: '2-4',
  flexibleVersions: '4+',
  fields: [
    // Ignorable: a follower talking v2 to an old leader just loses the id.
    { name: 'replicaId', type: 'int32', versions: '3+', default: DEBUG_REPLICA_ID, ignorable: true },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partition', type: 'int32', versions: '0+' },
                    { name: 'currentLeaderEpoch', type: 'int32', versions: '2+', default: -1, ignorable: true },
                    { name: 'leaderEpoch', type: 'int32', versions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
  ],
};

const response: MessageSchema = {
  name: 'OffsetForLeaderEpochResponse',
  apiKey: 23,
  type: 'response',
  validVersions: '2-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'errorCode', type: 'int16', versions: '0+' },
                    { name: 'partition', type: 'int32', versions: '0+' },
                    { name: 'leaderEpoch', type: 'int32', versions: '1+', default: UNDEFINED_EPOCH, ignorable: true },
                    { name: 'endOffset', type: 'int64', versions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
  ],
};

export const OffsetForLeaderEpoch: ApiDefinition = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  request,
  response,
  minVersion: 2,
  maxVersion: 4,
};
