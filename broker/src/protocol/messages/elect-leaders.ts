/**
 * ElectLeaders (key 43). Per Kafka's ElectLeadersRequest/Response.json: v1 adds the
 * election type (KIP-460) and a top-level error code, v2 is the first flexible version.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

/** v1+. v0 can only ask for a preferred-replica election. */
export const ElectionType = {
  /** Move leadership to the first replica of the assignment, if it is in the ISR. */
  PREFERRED: 0,
  /** Elect the first live replica even if none is in the ISR (data loss possible). */
  UNCLEAN: 1,
} as const;

export interface ElectLeadersTopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersRequest {
  /** v1+. Not ignorable: sending UNCLEAN to a v0 peer would silently run a preferred election. */
  electionType: number;
  /** null = every partition (preferred election of all eligible partitions). */
  topicPartitions: ElectLeadersTopicPartitions[] | null;
  timeoutMs: number;
}

export interface ElectLeadersPartitionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ReplicaElectionResult {
  topic: string;
  partitionResult: ElectLeadersPartitionResult[];
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  /** v1+. */
  errorCode: number;
  replicaElectionResults: ReplicaElectionResult[];
}

const request: MessageSchema = {
  name: 'ElectLeadersRequest',
  apiKey: 43,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'electionType', type: 'int8', versions: '1+' },
    {
      name: 'topicPartitions',
      versions: '0+',
      nullableVersions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0+' },
            // Kafka names this array "PartitionId" (singular); the wire is the same.
            { name: 'partitions', type: { array: 'int32' }, versions: '0+' },
          ],
        },
      },
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
  ],
};

const response: MessageSchema = {
  name: 'ElectLeadersResponse',
  apiKey: 43,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '1+' },
    {
      name: 'replicaElectionResults',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'topic', type: 'string', versions: '0+' },
            {
              name: 'partitionResult',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'partitionId', type: 'int32', versions: '0+' },
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

export const ElectLeaders: ApiDefinition = {
  apiKey: 43,
  name: 'ElectLeaders',
  request,
  response,
  minVersion: 0,
  maxVersion: 2,
};
