/** DeleteTopics (20): by name (v0-5) or by name or topic id (v6+), through the Controller. */
import { NO_ERROR, duplicates, errorResult, toErrorResult } from '../../cluster/admin-errors.js';
import { ControllerError } from '../../cluster/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  DeleteTopics,
  type DeletableTopicResult,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../../protocol/messages/delete-topics.js';
import type { ApiHandler, RequestContext } from './types.js';

const ZERO_UUID = '00000000000000000000000000000000';

async function deleteOne(name: string | null, topicId: string, dup: ReadonlySet<string>, ctx: RequestContext): Promise<DeletableTopicResult> {
  const image = ctx.broker.metadata;
  const key = name ?? topicId;
  if (dup.has(key)) return { name, topicId, ...errorResult(ErrorCode.INVALID_REQUEST, 'Duplicate topic name or id in the request.') };
  if (name !== null && topicId !== ZERO_UUID) {
    return { name, topicId, ...errorResult(ErrorCode.INVALID_REQUEST, 'Only one of the topic name and the topic id may be given.') };
  }
  let resolved = name;
  if (resolved === null) {
    const t = image.topicById(topicId);
    if (!t) return { name: null, topicId, ...errorResult(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`) };
    resolved = t.name;
  }
  const id = image.topic(resolved)?.topicId ?? topicId;
  try {
    await ctx.broker.controller.deleteTopic(resolved);
    return { name: resolved, topicId: id, ...NO_ERROR };
  } catch (err) {
    if (!(err instanceof ControllerError)) ctx.broker.logger.error({ err, topic: resolved }, 'DeleteTopics failed');
    return { name: resolved, topicId: id, ...toErrorResult(err) };
  }
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  api: DeleteTopics,
  async handle(req, ctx) {
    const wanted =
      ctx.apiVersion >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const dup = duplicates(wanted.map((t) => t.name ?? t.topicId));
    const responses = await Promise.all(wanted.map((t) => deleteOne(t.name, t.topicId, dup, ctx)));
    return { throttleTimeMs: 0, responses };
  },
};
