/**
 * FindCoordinator (key 10): which broker coordinates a group (or transactional id).
 * v0-3 ask for one key; v4+ batch them (KIP-699) and answer per key. v5 (KIP-890) and v6
 * (KIP-932 share groups) change no field, only which error codes / key types are allowed.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export const COORDINATOR_KEY_TYPE_GROUP = 0;
export const COORDINATOR_KEY_TYPE_TRANSACTION = 1;
export const COORDINATOR_KEY_TYPE_SHARE = 2;

export interface FindCoordinatorRequest {
  /** v0-3 only. */
  key: string;
  keyType: number;
  /** v4+ only. */
  coordinatorKeys: string[];
}

export interface FindCoordinatorResponseCoordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  /** errorCode..port: v0-3 only; v4+ uses coordinators. */
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: FindCoordinatorResponseCoordinator[];
}

const request: MessageSchema = {
  name: 'FindCoordinatorRequest',
  apiKey: 10,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: { array: 'string' }, versions: '4+' },
  ],
};

const response: MessageSchema = {
  name: 'FindCoordinatorResponse',
  apiKey: 10,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', default: null, ignorable: true },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      versions: '4+',
      type: {
        array: {
          struct: [
            { name: 'key', type: 'string', versions: '4+' },
            { name: 'nodeId', type: 'int32', versions: '4+' },
            { name: 'host', type: 'string', versions: '4+' },
            { name: 'port', type: 'int32', versions: '4+' },
            { name: 'errorCode', type: 'int16', versions: '4+' },
            { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', default: null, ignorable: true },
          ],
        },
      },
    },
  ],
};

export const FindCoordinator: ApiDefinition = {
  apiKey: 10,
  name: 'FindCoordinator',
  request,
  response,
  minVersion: 0,
  maxVersion: 4,
};
