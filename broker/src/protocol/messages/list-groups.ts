/**
 * ListGroups (key 16): the groups this broker coordinates. v4 adds a state filter and the
 * state per group (KIP-518); v5 a type filter and the type per group (KIP-848).
 */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface ListGroupsRequest {
  /** Empty = every state. */
  statesFilter: string[];
  /** Empty = every type. */
  typesFilter: string[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}

const request: MessageSchema = {
  name: 'ListGroupsRequest',
  apiKey: 16,
  type: 'request',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'statesFilter', type: { array: 'string' }, versions: '4+' },
    { name: 'typesFilter', type: { array: 'string' }, versions: '5+' },
  ],
};

const response: MessageSchema = {
  name: 'ListGroupsResponse',
  apiKey: 16,
  type: 'response',
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'groups',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'groupId', type: 'string', versions: '0+' },
            { name: 'protocolType', type: 'string', versions: '0+' },
            { name: 'groupState', type: 'string', versions: '4+', ignorable: true },
            { name: 'groupType', type: 'string', versions: '5+', ignorable: true },
          ],
        },
      },
    },
  ],
};

export const ListGroups: ApiDefinition = {
  apiKey: 16,
  name: 'ListGroups',
  request,
  response,
  minVersion: 0,
  maxVersion: 4,
};
