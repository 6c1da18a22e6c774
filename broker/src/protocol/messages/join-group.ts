/**
 * JoinGroup (key 11): a member joins (or rejoins) a classic group; the coordinator answers
 * once the rebalance completes. v4+ members first get MEMBER_ID_REQUIRED with an assigned
 * id (KIP-394); v5 adds static membership (KIP-345); v8 adds a reason (KIP-800); v9 lets
 * the coordinator tell the leader to skip assignment (KIP-814).
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; v0 clients mean "same as sessionTimeoutMs" (decoded as -1). */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
  reason: string | null;
}

export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  /** Nullable only from v7; before that send "" for none. */
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupResponseMember[];
}

const request: MessageSchema = {
  name: 'JoinGroupRequest',
  apiKey: 11,
  type: 'request',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+' },
    {
      name: 'protocols',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'metadata', type: 'bytes', versions: '0+' },
          ],
        },
      },
    },
    { name: 'reason', type: 'string', versions: '8+', nullableVersions: '8+', default: null, ignorable: true },
  ],
};

const response: MessageSchema = {
  name: 'JoinGroupResponse',
  apiKey: 11,
  type: 'response',
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
    { name: 'leader', type: 'string', versions: '0+' },
    { name: 'skipAssignment', type: 'bool', versions: '9+', default: false },
    { name: 'memberId', type: 'string', versions: '0+' },
    {
      name: 'members',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
            { name: 'metadata', type: 'bytes', versions: '0+' },
          ],
        },
      },
    },
  ],
};

export const JoinGroup: ApiDefinition = {
  apiKey: 11,
  name: 'JoinGroup',
  request,
  response,
  minVersion: 0,
  maxVersion: 9,
};
