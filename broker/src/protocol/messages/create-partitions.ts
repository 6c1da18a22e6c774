/** CreatePartitions (key 37). Layout per Kafka's CreatePartitionsRequest/Response.json (v0-3). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface CreatePartitionsAssignment {
  brokerIds: number[];
}

export interface CreatePartitionsTopic {
  name: string;
  /** The new total partition count. */
  count: number;
  /** One entry per new partition, or null to let the broker place them. */
  assignments: CreatePartitionsAssignment[] | null;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}

const request: MessageSchema = {
  name: 'CreatePartitionsRequest',
  apiKey: 37,
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'count', type: 'int32', versions: '0+' },
            {
              name: 'assignments',
              versions: '0+',
              nullableVersions: '0+',
              type: { array: { struct: [{ name: 'brokerIds', type: { array: 'int32' }, versions: '0+' }] } },
            },
          ],
        },
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
};

const response: MessageSchema = {
  name: 'CreatePartitionsResponse',
  apiKey: 37,
  type: 'response',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
          ],
        },
      },
    },
  ],
};

export const CreatePartitions: ApiDefinition = {
  apiKey: 37,
  name: 'CreatePartitions',
  request,
  response,
  minVersion: 0,
  maxVersion: 3,
};
