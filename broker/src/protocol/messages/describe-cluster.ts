/** DescribeCluster (key 60). Per Kafka's DescribeClusterRequest/Response.json (v0-1). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

/** v1 EndpointType: 1 = brokers, 2 = controllers. */
export const EndpointType = { BROKERS: 1, CONTROLLERS: 2 } as const;

export interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  endpointType: number;
}

export interface DescribeClusterBroker {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface DescribeClusterResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterBroker[];
  clusterAuthorizedOperations: number;
}

const request: MessageSchema = {
  name: 'DescribeClusterRequest',
  apiKey: 60,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '0+' },
    { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
  ],
};

const response: MessageSchema = {
  name: 'DescribeClusterResponse',
  apiKey: 60,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
    { name: 'clusterId', type: 'string', versions: '0+' },
    { name: 'controllerId', type: 'int32', versions: '0+', default: -1 },
    {
      name: 'brokers',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'brokerId', type: 'int32', versions: '0+' },
            { name: 'host', type: 'string', versions: '0+' },
            { name: 'port', type: 'int32', versions: '0+' },
            { name: 'rack', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
          ],
        },
      },
    },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
  ],
};

export const DescribeCluster: ApiDefinition = {
  apiKey: 60,
  name: 'DescribeCluster',
  request,
  response,
  minVersion: 0,
  maxVersion: 1,
};
