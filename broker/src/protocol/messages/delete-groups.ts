/** DeleteGroups (key 42): deletes empty groups and their committed offsets. */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeletableGroupResult {
  groupId: string;
  errorCode: number;
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeletableGroupResult[];
}

const request: MessageSchema = {
  name: 'DeleteGroupsRequest',
  apiKey: 42,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'groupsNames', type: { array: 'string' }, versions: '0+' }],
};

const response: MessageSchema = {
  name: 'DeleteGroupsResponse',
  apiKey: 42,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'groupId', type: 'string', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      },
    },
  ],
};

export const DeleteGroups: ApiDefinition = {
  apiKey: 42,
  name: 'DeleteGroups',
  request,
  response,
  minVersion: 0,
  maxVersion: 2,
};
