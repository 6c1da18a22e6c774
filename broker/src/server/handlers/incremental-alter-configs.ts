/** IncrementalAlterConfigs (44): SET / DELETE / APPEND / SUBTRACT on TOPIC or BROKER overrides. */
import { errorResult } from '../../cluster/admin-errors.js';
import type { ConfigOp } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterConfigOpType,
  IncrementalAlterConfigs,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResourceResponse,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/incremental-alter-configs.js';
import { alterResource } from './alter-configs.js';
import type { ApiHandler } from './types.js';

const OPS: Readonly<Record<number, ConfigOp['op']>> = {
  [AlterConfigOpType.SET]: 'set',
  [AlterConfigOpType.DELETE]: 'delete',
  [AlterConfigOpType.APPEND]: 'append',
  [AlterConfigOpType.SUBTRACT]: 'subtract',
};

export const incrementalAlterConfigsHandler: ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  api: IncrementalAlterConfigs,
  async handle(req, ctx) {
    const responses: IncrementalAlterConfigsResourceResponse[] = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      const bad = r.configs.find((c) => OPS[c.configOperation] === undefined);
      if (bad) {
        responses.push({ ...base, ...errorResult(ErrorCode.INVALID_REQUEST, `Unknown config operation ${bad.configOperation} for ${bad.name}`) });
        continue;
      }
      const ops: ConfigOp[] = r.configs.map((c) => ({ op: OPS[c.configOperation] ?? 'set', name: c.name, value: c.value }));
      responses.push({ ...base, ...(await alterResource(r.resourceType, r.resourceName, ops, false, req.validateOnly, ctx)) });
    }
    return { throttleTimeMs: 0, responses };
  },
};
