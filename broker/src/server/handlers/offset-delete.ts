/** OffsetDelete (47), v0: deletes a group's offsets for partitions it does not subscribe to. */
import { OffsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import type { ApiHandler } from './types.js';

export const offsetDeleteHandler: ApiHandler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  api: OffsetDelete,
  async handle(req, ctx) {
    const r = await ctx.broker.groups.deleteOffsets({
      groupId: req.groupId,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
    });
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
};
