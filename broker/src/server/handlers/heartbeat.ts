/** Heartbeat (12), v0-4: keeps a member's session alive and tells it when to rejoin. */
import { Heartbeat, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/heartbeat.js';
import type { ApiHandler } from './types.js';

export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponse> = {
  api: Heartbeat,
  async handle(req, ctx) {
    const errorCode = await ctx.broker.groups.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
};
