/**
 * DescribeGroups (key 15): state, protocol and members (with their metadata and assignment
 * bytes) of classic groups. v6 (KIP-1043) adds a per-group error message.
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './metadata.js';

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

const request: MessageSchema = {
  name: 'DescribeGroupsRequest',
  apiKey: 15,
  type: 'request',
  validVersions: '0-6',
  flexibleVersions: '5+',
  fields: [
    { name: 'groups', type: { array: 'string' }, versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
};

const response: MessageSchema = {
  name: 'DescribeGroupsResponse',
  apiKey: 15,
  type: 'response',
  validVersions: '0-6',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'groups',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '6+', nullableVersions: '6+', default: null, ignorable: true },
            { name: 'groupId', type: 'string', versions: '0+' },
            { name: 'groupState', type: 'string', versions: '0+' },
            { name: 'protocolType', type: 'string', versions: '0+' },
            { name: 'protocolData', type: 'string', versions: '0+' },
            {
              name: 'members',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'memberId', type: 'string', versions: '0+' },
                    { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null, ignorable: true },
                    { name: 'clientId', type: 'string', versions: '0+' },
                    { name: 'clientHost', type: 'string', versions: '0+' },
                    { name: 'memberMetadata', type: 'bytes', versions: '0+' },
                    { name: 'memberAssignment', type: 'bytes', versions: '0+' },
                  ],
                },
              },
            },
            { name: 'authorizedOperations', type: 'int32', versions: '3+', default: AUTHORIZED_OPERATIONS_OMITTED },
          ],
        },
      },
    },
  ],
};

export const DescribeGroups: ApiDefinition = {
  apiKey: 15,
  name: 'DescribeGroups',
  request,
  response,
  minVersion: 0,
  maxVersion: 5,
};
