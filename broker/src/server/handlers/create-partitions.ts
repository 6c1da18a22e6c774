/** CreatePartitions (37): raise a topic's partition count through the Controller. */
import { NO_ERROR, duplicates, errorResult, toErrorResult } from '../../cluster/admin-errors.js';
import { ControllerError } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  CreatePartitions,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreatePartitionsTopicResult,
} from '../../protocol/messages/create-partitions.js';
import type { ApiHandler } from './types.js';

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  api: CreatePartitions,
  async handle(req, ctx) {
    const dup = duplicates(req.topics.map((t) => t.name));
    const results = await Promise.all(
      req.topics.map(async (t): Promise<CreatePartitionsTopicResult> => {
        if (dup.has(t.name)) return { name: t.name, ...errorResult(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.') };
        try {
          const assignments = t.assignments === null ? null : t.assignments.map((a) => a.brokerIds);
          await ctx.broker.controller.createPartitions(t.name, t.count, assignments, req.validateOnly);
          return { name: t.name, ...NO_ERROR };
        } catch (err) {
          if (!(err instanceof ControllerError)) ctx.broker.logger.error({ err, topic: t.name }, 'CreatePartitions failed');
          return { name: t.name, ...toErrorResult(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
};
