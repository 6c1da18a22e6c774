/** ListOffsets (key 2): offsets by timestamp (-1 latest, -2 earliest, -3 max timestamp). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;

export interface ListOffsetsPartition {
  partitionIndex: number;
  currentLeaderEpoch: number;
  timestamp: number;
}

export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: ListOffsetsTopic[];
  timeoutMs: number;
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ListOffsetsTopicResponse[];
}

const request: MessageSchema = {
  name: 'ListOffsetsRequest',
  apiKey: 2,
  type: 'request',
  validVersions: '1-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '0+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partitionIndex', type: 'int32', versions: '0+' },
                    { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
                    { name: 'timestamp', type: 'int64', versions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: '10+', ignorable: true },
  ],
};

const response: MessageSchema = {
  name: 'ListOffsetsResponse',
  apiKey: 2,
  type: 'response',
  validVersions: '1-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partitionIndex', type: 'int32', versions: '0+' },
                    { name: 'errorCode', type: 'int16', versions: '0+' },
                    { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
                    { name: 'offset', type: 'int64', versions: '1+', default: -1 },
                    { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
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

export const ListOffsets: ApiDefinition = {
  apiKey: 2,
  name: 'ListOffsets',
  request,
  response,
  minVersion: 1,
  maxVersion: 7,
};
