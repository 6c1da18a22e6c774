/**
 * ListPartitionReassignments (key 46, KIP-455). Per Kafka's
 * ListPartitionReassignmentsRequest/Response.json: v0 only, flexible from v0.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface ListPartitionReassignmentsTopic {
  name: string;
  partitionIndexes: number[];
}

export interface ListPartitionReassignmentsRequest {
  timeoutMs: number;
  /** null = every ongoing reassignment. */
  topics: ListPartitionReassignmentsTopic[] | null;
}

export interface OngoingPartitionReassignment {
  partitionIndex: number;
  /** The current replica set (during a move: the union of old and new). */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface OngoingTopicReassignment {
  name: string;
  partitions: OngoingPartitionReassignment[];
}

export interface ListPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  topics: OngoingTopicReassignment[];
}

const request: MessageSchema = {
  name: 'ListPartitionReassignmentsRequest',
  apiKey: 46,
  type: 'request',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    {
      name: 'topics',
      versions: '0+',
      nullableVersions: '0+',
      default: null,
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'partitionIndexes', type: { array: 'int32' }, versions: '0+' },
          ],
        },
      },
    },
  ],
};

const response: MessageSchema = {
  name: 'ListPartitionReassignmentsResponse',
  apiKey: 46,
  type: 'response',
  validVersions: '0',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
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
                    { name: 'replicas', type: { array: 'int32' }, versions: '0+' },
                    { name: 'addingReplicas', type: { array: 'int32' }, versions: '0+' },
                    { name: 'removingReplicas', type: { array: 'int32' }, versions: '0+' },
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

export const ListPartitionReassignments: ApiDefinition = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  request,
  response,
  minVersion: 0,
  maxVersion: 0,
};
