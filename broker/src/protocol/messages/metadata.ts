/** Metadata (key 3). Answered from the in-memory metadata image. */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

/** Kafka's "authorized operations not requested" sentinel. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export interface MetadataRequestTopic {
  topicId: string;
  name: string | null;
}

export interface MetadataRequest {
  /** null = all topics (v1+); [] = none. */
  topics: MetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  topicAuthorizedOperations: number;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseTopic[];
  clusterAuthorizedOperations: number;
  errorCode: number;
}

const request: MessageSchema = {
  name: 'MetadataRequest',
  apiKey: 3,
  type: 'request',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'topics',
      versions: '0+',
      nullableVersions: '1+',
      type: {
        array: {
          struct: [
            { name: 'topicId', type: 'uuid', versions: '10+', ignorable: true },
            { name: 'name', type: 'string', versions: '0+', nullableVersions: '10+' },
          ],
        },
      },
    },
    { name: 'allowAutoTopicCreation', type: 'bool', versions: '4+', default: true, ignorable: false },
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '8-10' },
    { name: 'includeTopicAuthorizedOperations', type: 'bool', versions: '8+' },
  ],
};

const response: MessageSchema = {
  name: 'MetadataResponse',
  apiKey: 3,
  type: 'response',
  validVersions: '0-13',
  flexibleVersions: '9+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'brokers',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'nodeId', type: 'int32', versions: '0+' },
            { name: 'host', type: 'string', versions: '0+' },
            { name: 'port', type: 'int32', versions: '0+' },
            { name: 'rack', type: 'string', versions: '1+', nullableVersions: '1+', default: null, ignorable: true },
          ],
        },
      },
    },
    { name: 'clusterId', type: 'string', versions: '2+', nullableVersions: '2+', default: null, ignorable: true },
    { name: 'controllerId', type: 'int32', versions: '1+', default: -1, ignorable: true },
    {
      name: 'topics',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'name', type: 'string', versions: '0+', nullableVersions: '12+' },
            { name: 'topicId', type: 'uuid', versions: '10+', ignorable: true },
            { name: 'isInternal', type: 'bool', versions: '1+', default: false, ignorable: true },
            {
              name: 'partitions',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'errorCode', type: 'int16', versions: '0+' },
                    { name: 'partitionIndex', type: 'int32', versions: '0+' },
                    { name: 'leaderId', type: 'int32', versions: '0+' },
                    { name: 'leaderEpoch', type: 'int32', versions: '7+', default: -1, ignorable: true },
                    { name: 'replicaNodes', type: { array: 'int32' }, versions: '0+' },
                    { name: 'isrNodes', type: { array: 'int32' }, versions: '0+' },
                    { name: 'offlineReplicas', type: { array: 'int32' }, versions: '5+', ignorable: true },
                  ],
                },
              },
            },
            {
              name: 'topicAuthorizedOperations',
              type: 'int32',
              versions: '8+',
              default: AUTHORIZED_OPERATIONS_OMITTED,
              ignorable: true,
            },
          ],
        },
      },
    },
    {
      name: 'clusterAuthorizedOperations',
      type: 'int32',
      versions: '8-10',
      default: AUTHORIZED_OPERATIONS_OMITTED,
      ignorable: true,
    },
    { name: 'errorCode', type: 'int16', versions: '13+', ignorable: true },
  ],
};

export const Metadata: ApiDefinition = {
  apiKey: 3,
  name: 'Metadata',
  request,
  response,
  minVersion: 1,
  maxVersion: 12,
};
