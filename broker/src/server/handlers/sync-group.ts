/** SyncGroup (14), v0-5: the leader hands in assignments, every member gets its own. v5 echoes protocol type/name. */
import { SyncGroup, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/sync-group.js';
import type { ApiHandler } from './types.js';

export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponse> = {
  api: SyncGroup,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    const r = await ctx.broker.groups.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
};
