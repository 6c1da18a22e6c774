/**
 * LeaveGroup (13), v0-5. v0-2 carry one member and answer one error code (the member's when
 * the group itself is fine); v3+ batch members, by member id or by group.instance.id.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { LeaveGroup, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/leave-group.js';
import type { ApiHandler } from './types.js';

export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponse> = {
  api: LeaveGroup,
  async handle(req, ctx) {
    const batched = ctx.apiVersion >= 3;
    const members = batched
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: ctx.apiVersion >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = await ctx.broker.groups.leaveGroup({ groupId: req.groupId, members });
    if (batched) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    const memberError = r.members[0]?.errorCode ?? ErrorCode.NONE;
    return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : memberError, members: [] };
  },
};
