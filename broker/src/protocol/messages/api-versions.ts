/** ApiVersions (key 18). Responses always use response header v0 (see headers.ts). */
import type { ApiDefinition, MessageSchema } from '../schema-types.js';

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponseKey {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface SupportedFeatureKey {
  name: string;
  minVersion: number;
  maxVersion: number;
}

export interface FinalizedFeatureKey {
  name: string;
  maxVersionLevel: number;
  minVersionLevel: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionsResponseKey[];
  throttleTimeMs: number;
  supportedFeatures: SupportedFeatureKey[];
  finalizedFeaturesEpoch: number;
  finalizedFeatures: FinalizedFeatureKey[];
  zkMigrationReady: boolean;
}

const request: MessageSchema = {
  name: 'ApiVersionsRequest',
  apiKey: 18,
  type: 'request',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'clientSoftwareName', type: 'string', versions: '3+', ignorable: true },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+', ignorable: true },
  ],
};

const response: MessageSchema = {
  name: 'ApiVersionsResponse',
  apiKey: 18,
  type: 'response',
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'apiKeys',
      versions: '0+',
      type: {
        array: {
          struct: [
            { name: 'apiKey', type: 'int16', versions: '0+' },
            { name: 'minVersion', type: 'int16', versions: '0+' },
            { name: 'maxVersion', type: 'int16', versions: '0+' },
          ],
        },
      },
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'supportedFeatures',
      versions: '3+',
      taggedVersions: '3+',
      tag: 0,
      ignorable: true,
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '3+' },
            { name: 'minVersion', type: 'int16', versions: '3+' },
            { name: 'maxVersion', type: 'int16', versions: '3+' },
          ],
        },
      },
    },
    {
      name: 'finalizedFeaturesEpoch',
      type: 'int64',
      versions: '3+',
      taggedVersions: '3+',
      tag: 1,
      default: -1,
      ignorable: true,
    },
    {
      name: 'finalizedFeatures',
      versions: '3+',
      taggedVersions: '3+',
      tag: 2,
      ignorable: true,
      type: {
        array: {
          struct: [
            { name: 'name', type: 'string', versions: '3+' },
            { name: 'maxVersionLevel', type: 'int16', versions: '3+' },
            { name: 'minVersionLevel', type: 'int16', versions: '3+' },
          ],
        },
      },
    },
    {
      name: 'zkMigrationReady',
      type: 'bool',
      versions: '3+',
      taggedVersions: '3+',
      tag: 3,
      default: false,
      ignorable: true,
    },
  ],
};

export const ApiVersions: ApiDefinition = {
  apiKey: 18,
  name: 'ApiVersions',
  request,
  response,
  minVersion: 0,
  maxVersion: 3,
};
