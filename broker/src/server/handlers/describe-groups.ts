/** DescribeGroups (15), v0-5: state, protocol and members of each group. */
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/messages/describe-groups.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../../protocol/messages/metadata.js';
import type { ApiHandler } from './types.js';

export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  api: DescribeGroups,
  async handle(req, ctx) {
    const described = await ctx.broker.groups.describeGroups(req.groups);
    return {
      throttleTimeMs: 0,
      groups: described.map((g) => ({
        errorCode: g.errorCode,
        errorMessage: null,
        groupId: g.groupId,
        groupState: g.state,
        protocolType: g.protocolType,
        protocolData: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        // No ACLs: nothing to report even when asked.
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      })),
    };
  },
};
