/**
 * JoinGroup (11), v0-9. v0 has no rebalance timeout (the session timeout serves); v4+ new
 * members first get MEMBER_ID_REQUIRED (KIP-394); v5 static members; v7+ may answer a null
 * protocol name (older versions get ""); v9 may tell the leader to skip assignment.
 */
import { JoinGroup, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/join-group.js';
import { clientHost } from './group-context.js';
import type { ApiHandler } from './types.js';

export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponse> = {
  api: JoinGroup,
  async handle(req, ctx) {
    const v = ctx.apiVersion;
    const r = await ctx.broker.groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      clientId: ctx.clientId ?? '',
      clientHost: clientHost(ctx),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType,
      protocols: req.protocols,
      requireKnownMemberId: v >= 4,
      supportSkippingAssignment: v >= 9,
      reason: v >= 8 ? req.reason : null,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: v >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: r.skipAssignment,
      memberId: r.memberId,
      members: r.members,
    };
  },
};
