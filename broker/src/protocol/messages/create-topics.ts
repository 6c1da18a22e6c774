/** CreateTopics (key 19). Layout per Kafka's CreateTopicsRequest/Response.json (v0-7). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreatableTopic {
  name: string;
  /** -1 = broker default (v4+), or manual assignment. */
  numPartitions: number;
  /** -1 = broker default (v4+), or manual assignment. */
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatableTopicConfigs {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreatableTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: CreatableTopicConfigs[] | null;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}

const request: MessageSchema = {
  name: 'CreateTopicsRequest',
  apiKey: 19,
  type: 'request',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'numPartitions', type: 'int32', versions: '0+' },
            { name: 'replicationFactor', type: 'int16', versions: '0+' },
            {
              name: 'assignments',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partitionIndex', type: 'int32', versions: '0+' },
                    { name: 'brokerIds', type: { array: 'int32' }, versions: '0+' },
                  ],
                },
              },
            },
            {
              name: 'configs',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'name', type: 'string', versions: '0+' },
                    { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+', default: false, ignorable: false },
  ],
};

const response: MessageSchema = {
  name: 'CreateTopicsResponse',
  apiKey: 19,
  type: 'response',
  validVersions: '0-7',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'topicId', type: 'uuid', versions: '7+', ignorable: true },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '1+', nullableVersions: '0+', ignorable: true },
            { name: 'topicConfigErrorCode', type: 'int16', versions: '5+', taggedVersions: '5+', tag: 0, ignorable: true },
            { name: 'numPartitions', type: 'int32', versions: '5+', default: -1, ignorable: true },
            { name: 'replicationFactor', type: 'int16', versions: '5+', default: -1, ignorable: true },
            {
              name: 'configs',
              versions: '5+',
              nullableVersions: '5+',
              ignorable: true,
              type: {
                array: {
                  struct: [
                    { name: 'name', type: 'string', versions: '5+' },
                    { name: 'value', type: 'string', versions: '5+', nullableVersions: '5+' },
                    { name: 'readOnly', type: 'bool', versions: '5+' },
                    { name: 'configSource', type: 'int8', versions: '5+', default: -1, ignorable: true },
                    { name: 'isSensitive', type: 'bool', versions: '5+' },
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

export const CreateTopics: ApiDefinition = {
  apiKey: 19,
  name: 'CreateTopics',
  request,
  response,
  minVersion: 0,
  maxVersion: 7,
};
