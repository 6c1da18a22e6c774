/** DeleteTopics (key 20). Layout per Kafka's DeleteTopicsRequest/Response.json (v0-6). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface DeleteTopicState {
  name: string | null;
  topicId: string;
}

export interface DeleteTopicsRequest {
  /** v6+: by name or by id. */
  topics: DeleteTopicState[];
  /** v0-5. */
  topicNames: string[];
  timeoutMs: number;
}

export interface DeletableTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

const request: MessageSchema = {
  name: 'DeleteTopicsRequest',
  apiKey: 20,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'topics',
      versions: '6+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
            { name: 'topicId', type: 'uuid', versions: '6+' },
          ],
        },
      },
    },
    { name: 'topicNames', type: { array: 'string' }, versions: '0-5', ignorable: true },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
};

const response: MessageSchema = {
  name: 'DeleteTopicsResponse',
  apiKey: 20,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'responses',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+', nullableVersions: '6+' },
            { name: 'topicId', type: 'uuid', versions: '6+', ignorable: true },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
          ],
        },
      },
    },
  ],
};

export const DeleteTopics: ApiDefinition = {
  apiKey: 20,
  name: 'DeleteTopics',
  request,
  response,
  minVersion: 0,
  maxVersion: 6,
};
