/**
 * LeaveGroup (key 13): v0-2 one member leaves; v3+ a batch of members (KIP-345, so an
 * admin can remove static members by instance id), each answered with its own error.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface LeaveGroupRequestMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupRequest {
  groupId: string;
  /** v0-2 only. */
  memberId: string;
  /** v3+ only. */
  members: LeaveGroupRequestMember[];
}

export interface LeaveGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: LeaveGroupResponseMember[];
}

const request: MessageSchema = {
  name: 'LeaveGroupRequest',
  apiKey: 13,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    {
      name: 'members',
      versions: '3+',
      type: {
        array: {
          struct: [
            { name: 'memberId', type: 'string', versions: '3+' },
            { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
            { name: 'reason', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
          ],
        },
      },
    },
  ],
};

const response: MessageSchema = {
  name: 'LeaveGroupResponse',
  apiKey: 13,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'members',
      versions: '3+',
      type: {
        array: {
          struct: [
            { name: 'memberId', type: 'string', versions: '3+' },
            { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
            { name: 'errorCode', type: 'int16', versions: '3+' },
          ],
        },
      },
    },
  ],
};

export const LeaveGroup: ApiDefinition = {
  apiKey: 13,
  name: 'LeaveGroup',
  request,
  response,
  minVersion: 0,
  maxVersion: 5,
};
