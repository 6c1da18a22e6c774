/** ListGroups (16), v0-4: the groups this broker coordinates; v4 filters by state and reports it. */
import { ListGroups, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import type { ApiHandler } from './types.js';

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponse> = {
  api: ListGroups,
  async handle(req, ctx) {
    const r = await ctx.broker.groups.listGroups(ctx.apiVersion >= 4 ? req.statesFilter : []);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: r.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' })),
    };
  },
};
