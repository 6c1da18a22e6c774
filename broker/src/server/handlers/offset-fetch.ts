/**
 * OffsetFetch (9), v1-8. v1 has no group-level error field, so a group error is reported on
 * every requested partition (as Kafka does); v2+ may ask for all topics (null) and carry the
 * group error; v8 asks about several groups at once and answers per group.
 */
import type { FetchOffsetsResult } from '../../coordinator/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetFetch,
  type OffsetFetchRequest,
  type OffsetFetchRequestTopic,
  type OffsetFetchResponse,
  type OffsetFetchResponseTopic,
} from '../../protocol/messages/offset-fetch.js';
import type { ApiHandler, RequestContext } from './types.js';

function fetchGroup(groupId: string, topics: OffsetFetchRequestTopic[] | null, requireStable: boolean, ctx: RequestContext): Promise<FetchOffsetsResult> {
  return ctx.broker.groups.fetchOffsets({ groupId, topics, requireStable });
}

/** v0-1: the group error spread over the requested partitions. */
function errorOnEveryPartition(topics: readonly OffsetFetchRequestTopic[], errorCode: number): OffsetFetchResponseTopic[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })),
  }));
}

export const offsetFetchHandler: ApiHandler<OffsetFetchRequest, OffsetFetchResponse> = {
  api: OffsetFetch,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    if (v >= 8) {
      const groups = await Promise.all(
        req.groups.map(async (g) => {
          const r = await fetchGroup(g.groupId, g.topics, req.requireStable, ctx);
          return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
        }),
      );
      return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
    }
    const r = await fetchGroup(req.groupId, req.topics, v >= 7 && req.requireStable, ctx);
    if (v < 2 && r.errorCode !== ErrorCode.NONE) {
      return { throttleTimeMs: 0, topics: errorOnEveryPartition(req.topics ?? [], r.errorCode), errorCode: ErrorCode.NONE, groups: [] };
    }
    return { throttleTimeMs: 0, topics: r.topics, errorCode: r.errorCode, groups: [] };
  },
};
