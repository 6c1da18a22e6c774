/**
 * SyncGroup (key 14): after JoinGroup the leader sends every member's assignment and each
 * member receives its own. v5 echoes protocol type/name so clients can check them.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Buffer;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

const request: MessageSchema = {
  name: 'SyncGroupRequest',
  apiKey: 14,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    {
      name: 'assignments',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'assignment', type: 'bytes', versions: '0+' },
          ],
        },
      },
    },
  ],
};

const response: MessageSchema = {
  name: 'SyncGroupResponse',
  apiKey: 14,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ],
};

export const SyncGroup: ApiDefinition = {
  apiKey: 14,
  name: 'SyncGroup',
  request,
  response,
  minVersion: 0,
  maxVersion: 5,
};
