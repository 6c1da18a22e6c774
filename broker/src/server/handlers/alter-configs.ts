/** AlterConfigs (33): replace all overrides of a TOPIC or BROKER resource. */
import { NO_ERROR, errorResult, toErrorResult, type ErrorResult } from '../../cluster/admin-errors.js';
import { ControllerError, type ConfigOp } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterConfigs,
  type AlterConfigsRequest,
  type AlterConfigsResourceResponse,
  type AlterConfigsResponse,
} from '../../protocol/messages/alter-configs.js';
import { ConfigResourceType } from '../../protocol/messages/describe-configs.js';
import type { ApiHandler, RequestContext } from './types.js';

/**
 * Shared by AlterConfigs and IncrementalAlterConfigs. Broker overrides are cluster-wide here
 * (one `configs.broker` map), so "" and this broker's id address the same set.
 */
export async function alterResource(
  resourceType: number,
  resourceName: string,
  ops: readonly ConfigOp[],
  replace: boolean,
  validateOnly: boolean,
  ctx: RequestContext,
): Promise<ErrorResult> {
  const c = ctx.broker.controller;
  try {
    if (resourceType === ConfigResourceType.TOPIC) {
      await c.alterTopicConfigs(resourceName, ops, replace, validateOnly);
    } else if (resourceType === ConfigResourceType.BROKER) {
      if (resourceName !== '' && resourceName !== String(ctx.broker.nodeId)) {
        return errorResult(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId} or the empty string, but received ${resourceName}`);
      }
      await c.alterBrokerConfigs(ops, replace, validateOnly);
    } else {
      return errorResult(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
    }
    return NO_ERROR;
  } catch (err) {
    if (!(err instanceof ControllerError)) ctx.broker.logger.error({ err, resourceType, resourceName }, 'config change failed');
    return toErrorResult(err);
  }
}

export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  api: AlterConfigs,
  async handle(req, ctx) {
    const responses: AlterConfigsResourceResponse[] = [];
    // One at a time: resources may touch the same key, and order should be the request's.
    for (const r of req.resources) {
      const ops: ConfigOp[] = r.configs.map((cfg) => ({ op: 'set', name: cfg.name, value: cfg.value }));
      const result = await alterResource(r.resourceType, r.resourceName, ops, true, req.validateOnly, ctx);
      responses.push({ ...result, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
};
