/** DescribeConfigs (key 32). Layout per Kafka's DescribeConfigsRequest/Response.json (v0-4). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

/** Kafka's ConfigResource.Type codes. */
export const ConfigResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  /** null = every config. */
  configurationKeys: string[] | null;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 only. */
  isDefault: boolean;
  /** v1+. */
  configSource: number;
  isSensitive: boolean;
  synonyms: DescribeConfigsSynonym[];
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

const request: MessageSchema = {
  name: 'DescribeConfigsRequest',
  apiKey: 32,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'resources',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'resourceType', type: 'int8', versions: '0+' },
            { name: 'resourceName', type: 'string', versions: '0+' },
            { name: 'configurationKeys', type: { array: 'string' }, versions: '0+', nullableVersions: '0+' },
          ],
        },
      },
    },
    { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
    { name: 'includeDocumentation', type: 'bool', versions: '3+', default: false },
  ],
};

const response: MessageSchema = {
  name: 'DescribeConfigsResponse',
  apiKey: 32,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
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
                    { name: 'readOnly', type: 'bool', versions: '0+' },
                    { name: 'isDefault', type: 'bool', versions: '0', ignorable: true },
                    { name: 'configSource', type: 'int8', versions: '1+', default: -1, ignorable: true },
                    { name: 'isSensitive', type: 'bool', versions: '0+' },
                    {
                      name: 'synonyms',
                      versions: '1+',
                      ignorable: true,
                      type: {
                        array: {
                          struct: [
                            { name: 'name', type: 'string', versions: '1+' },
                            { name: 'value', type: 'string', versions: '1+', nullableVersions: '0+' },
                            { name: 'source', type: 'int8', versions: '1+' },
                          ],
                        },
                      },
                    },
                    { name: 'configType', type: 'int8', versions: '3+', default: 0, ignorable: true },
                    { name: 'documentation', type: 'string', versions: '3+', nullableVersions: '0+', ignorable: true },
                  ],
                },
              },
            },
          ],
        },
      },
    },
  ],
};

export const DescribeConfigs: ApiDefinition = {
  apiKey: 32,
  name: 'DescribeConfigs',
  request,
  response,
  minVersion: 0,
  maxVersion: 4,
};
