/**
 * AlterPartitionReassignments (key 45, KIP-455). Per Kafka's
 * AlterPartitionReassignmentsRequest/Response.json: flexible from v0; v1 (Kafka 4.x, KIP-860)
 * adds AllowReplicationFactorChange to both request and response.
 *
 * Advertised as v0 only until the handler honours allowReplicationFactorChange=false
 * (reply INVALID_REPLICATION_FACTOR for a partition whose replica count would change);
 * the schema already covers v1 so raising maxVersion is a one-line change.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface ReassignablePartition {
  partitionIndex: number;
  /** Target replicas (first = preferred leader), or null to cancel a pending reassignment. */
  replicas: number[] | null;
}

export interface ReassignableTopic {
  name: string;
  partitions: ReassignablePartition[];
}

export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number;
  /** v1+. Not ignorable: a v0 peer cannot enforce `false`, so encoding it at v0 fails. */
  allowReplicationFactorChange: boolean;
  topics: ReassignableTopic[];
}

export interface ReassignablePartitionResponse {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ReassignableTopicResponse {
  name: string;
  partitions: ReassignablePartitionResponse[];
}

export interface AlterPartitionReassignmentsResponse {
  throttleTimeMs: number;
  /** v1+: echoes the request's option. */
  allowReplicationFactorChange: boolean;
  errorCode: number;
  errorMessage: string | null;
  responses: ReassignableTopicResponse[];
}

const request: MessageSchema = {
  name: 'AlterPartitionReassignmentsRequest',
  apiKey: 45,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'allowReplicationFactorChange', type: 'bool', versions: '1+', default: true },
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
                    { name: 'replicas', type: { array: 'int32' }, versions: '0+', nullableVersions: '0+', default: null },
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
  name: 'AlterPartitionReassignmentsResponse',
  apiKey: 45,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'allowReplicationFactorChange', type: 'bool', versions: '1+', default: true, ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    {
      name: 'responses',
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
                    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
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

export const AlterPartitionReassignments: ApiDefinition = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  request,
  response,
  minVersion: 0,
  maxVersion: 0,
};
