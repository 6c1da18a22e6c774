/** ApiVersions (18): the ranges every registered handler serves. */
import { ErrorCode } from '../../protocol/errors.js';
import {
  ApiVersions,
  type ApiVersionsRequest,
  type ApiVersionsResponse,
} from '../../protocol/messages/api-versions.js';
import type { ApiDefinition } from '../../protocol/schema-types.js';
import type { ApiHandler } from './types.js';

/** `apis` is read per request so the registry can list this handler itself. */
export function createApiVersionsHandler(apis: () => readonly ApiDefinition[]): ApiHandler<ApiVersionsRequest, Partial<ApiVersionsResponse>> {
  let cached: ApiVersionsResponse['apiKeys'] | null = null;
  return {
    api: ApiVersions,
    async handle() {
      cached ??= [...apis()]
        .sort((a, b) => a.apiKey - b.apiKey)
        .map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
      return { errorCode: ErrorCode.NONE, apiKeys: cached, throttleTimeMs: 0 };
    },
  };
}
