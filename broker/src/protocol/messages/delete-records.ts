/** DeleteRecords (key 21). Per Kafka's DeleteRecordsRequest/Response.json (v0-2). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface DeleteRecordsPartition {
  partitionIndex: number;
  /** Delete records before this offset; -1 = the high watermark. */
  offset: number;
}

export interface DeleteRecordsTopic {
  name: string;
  partitions: DeleteRecordsPartition[];
}

export interface DeleteRecordsRequest {
  topics: DeleteRecordsTopic[];
  timeoutMs: number;
}

export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}

export interface DeleteRecordsTopicResult {
  name: string;
  partitions: DeleteRecordsPartitionResult[];
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: DeleteRecordsTopicResult[];
}

const request: MessageSchema = {
  name: 'DeleteRecordsRequest',
  apiKey: 21,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
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
                    { name: 'offset', type: 'int64', versions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
};

const response: MessageSchema = {
  name: 'DeleteRecordsResponse',
  apiKey: 21,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
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
                    { name: 'lowWatermark', type: 'int64', versions: '0+' },
                    { name: 'errorCode', type: 'int16', versions: '0+' },
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

export const DeleteRecords: ApiDefinition = {
  apiKey: 21,
  name: 'DeleteRecords',
  request,
  response,
  minVersion: 0,
  maxVersion: 2,
};
