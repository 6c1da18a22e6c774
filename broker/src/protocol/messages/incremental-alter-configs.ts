/** IncrementalAlterConfigs (key 44). Per Kafka's IncrementalAlterConfigsRequest/Response.json (v0-1). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';
import { resourceResponseFields, type AlterConfigsResourceResponse } from './alter-configs.js';

/** Kafka's AlterConfigOp.OpType codes. */
export const AlterConfigOpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterableConfigOp {
  name: string;
  configOperation: number;
  value: string | null;
}

export interface IncrementalAlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfigOp[];
}

export interface IncrementalAlterConfigsRequest {
  resources: IncrementalAlterConfigsResource[];
  validateOnly: boolean;
}

export type IncrementalAlterConfigsResourceResponse = AlterConfigsResourceResponse;

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: IncrementalAlterConfigsResourceResponse[];
}

const request: MessageSchema = {
  name: 'IncrementalAlterConfigsRequest',
  apiKey: 44,
  type: 'request',
  validVersions: '0-1',
  flexibleVersions: '1+',
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
                    { name: 'configOperation', type: 'int8', versions: '0+' },
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

const response: MessageSchema = {
  name: 'IncrementalAlterConfigsResponse',
  apiKey: 44,
  type: 'response',
  validVersions: '0-1',
  flexibleVersions: '1+',
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

export const IncrementalAlterConfigs: ApiDefinition = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  request,
  response,
  minVersion: 0,
  maxVersion: 1,
};
