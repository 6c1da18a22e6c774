/** AlterConfigs (key 33): replace a resource's whole set of overrides. Per Kafka's AlterConfigsRequest/Response.json (v0-2). */
import type { ApiDefinition, Field, MessageSchema } from '../schema-types.js';

export interface AlterableConfig {
  name: string;
  value: string | null;
}

export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfig[];
}

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResponse[];
}

const request: MessageSchema = {
  name: 'AlterConfigsRequest',
  apiKey: 33,
  type: 'request',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'resources',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'resourceType', type: 'int8', versions: '0+' },
            { name: 'resourceName', type: 'string', versions: '0+' },
            {
              name: 'configs',
              versions: '0+',
              type: {
                array: {
                  struct: [
                    { name: 'name', type: 'string', versions: '0+' },
                    { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
                  ],
                },
              },
            },
          ],
        },
      },
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
};

/** One resource's outcome; IncrementalAlterConfigs answers with the same struct. */
export const resourceResponseFields: readonly Field[] = [
  { name: 'errorCode', type: 'int16', versions: '0+' },
  { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
  { name: 'resourceType', type: 'int8', versions: '0+' },
  { name: 'resourceName', type: 'string', versions: '0+' },
];

const response: MessageSchema = {
  name: 'AlterConfigsResponse',
  apiKey: 33,
  type: 'response',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'responses',
      versions: '0+',
      type: {
        array: {
          struct: resourceResponseFields,
        },
      },
    },
  ],
};

export const AlterConfigs: ApiDefinition = {
  apiKey: 33,
  name: 'AlterConfigs',
  request,
  response,
  minVersion: 0,
  maxVersion: 2,
};
