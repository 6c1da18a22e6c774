/** Produce (key 0). Records stay an opaque Buffer slice of the request frame (zero-copy). */
import type { ApiDefinition, Field, MessageSchema } from '../schema-types.js';

export interface ProducePartitionData {
  index: number;
  records: Buffer | null;
}

export interface ProduceTopicData {
  name: string;
  partitionData: ProducePartitionData[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  /** 0, 1 or -1 (all). */
  acks: number;
  timeoutMs: number;
  topicData: ProduceTopicData[];
}

export interface BatchIndexAndErrorMessage {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: BatchIndexAndErrorMessage[];
  errorMessage: string | null;
  currentLeader: LeaderIdAndEpoch;
}

export interface ProduceTopicResponse {
  name: string;
  partitionResponses: ProducePartitionResponse[];
}

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ProduceResponse {
  responses: ProduceTopicResponse[];
  throttleTimeMs: number;
  nodeEndpoints: NodeEndpoint[];
}

const request: MessageSchema = {
  name: 'ProduceRequest',
  apiKey: 0,
  type: 'request',
  validVersions: '3-12',
  flexibleVersions: '9+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    {
      name: 'topicData',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitionData',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'index', type: 'int32', versions: '0+' },
                    { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
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

/** Shared with Fetch: where a client should go after NOT_LEADER_OR_FOLLOWER (KIP-951). */
export const leaderIdAndEpochFields = (versions: string): readonly Field[] => [
  { name: 'leaderId', type: 'int32', versions, default: -1 },
  { name: 'leaderEpoch', type: 'int32', versions, default: -1 },
];

export const nodeEndpointFields = (versions: string): readonly Field[] => [
  { name: 'nodeId', type: 'int32', versions },
  { name: 'host', type: 'string', versions },
  { name: 'port', type: 'int32', versions },
  { name: 'rack', type: 'string', versions, nullableVersions: versions, default: null },
];

const response: MessageSchema = {
  name: 'ProduceResponse',
  apiKey: 0,
  type: 'response',
  validVersions: '3-12',
  flexibleVersions: '9+',
  fields: [
    {
      name: 'responses',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitionResponses',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'index', type: 'int32', versions: '0+' },
                    { name: 'errorCode', type: 'int16', versions: '0+' },
                    { name: 'baseOffset', type: 'int64', versions: '0+' },
                    { name: 'logAppendTimeMs', type: 'int64', versions: '2+', default: -1, ignorable: true },
                    { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, ignorable: true },
                    {
                      name: 'recordErrors',
                      versions: '8+',
                      ignorable: true,
                      type: {
                        array: {
                          struct: [
                            { name: 'batchIndex', type: 'int32', versions: '8+' },
                            {
                              name: 'batchIndexErrorMessage',
                              type: 'string',
                              versions: '8+',
                              nullableVersions: '8+',
                              default: null,
                            },
                          ],
                        },
                      },
                    },
                    {
                      name: 'errorMessage',
                      type: 'string',
                      versions: '8+',
                      nullableVersions: '8+',
                      default: null,
                      ignorable: true,
                    },
                    {
                      name: 'currentLeader',
                      versions: '10+',
                      taggedVersions: '10+',
                      tag: 0,
                      ignorable: true,
                      type: { struct: leaderIdAndEpochFields('10+') },
                    },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'nodeEndpoints',
      versions: '10+',
      taggedVersions: '10+',
      tag: 0,
      ignorable: true,
      type: { array: { struct: nodeEndpointFields('10+') } },
    },
  ],
};

export const Produce: ApiDefinition = {
  apiKey: 0,
  name: 'Produce',
  request,
  response,
  minVersion: 3,
  maxVersion: 9,
};
