/**
 * OffsetCommit (8), v2-8. v2-4 carry a request-wide retention time (-1 = broker's
 * offsets.retention.minutes); v5+ drop it; v6+ add the leader epoch; v7+ group.instance.id.
 */
import { OffsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { ApiHandler } from './types.js';

export const offsetCommitHandler: ApiHandler<OffsetCommitRequest, OffsetCommitResponse> = {
  api: OffsetCommit,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    const r = await ctx.broker.groups.commitOffsets({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          committedMetadata: p.committedMetadata,
        })),
      })),
    });
    return { throttleTimeMs: 0, topics: r.topics };
  },
};
