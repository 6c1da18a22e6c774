/** DeleteGroups (42), v0-2: deletes empty groups with their offsets (NON_EMPTY_GROUP otherwise). */
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import type { ApiHandler } from './types.js';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  api: DeleteGroups,
  async handle(req, ctx) {
    const results = await ctx.broker.groups.deleteGroups(req.groupsNames);
    return { throttleTimeMs: 0, results };
  },
};
