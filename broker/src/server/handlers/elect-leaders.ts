/**
 * ElectLeaders (43): preferred (move leadership to the first replica when it is in the ISR)
 * or unclean (give a leaderless partition any live replica) elections, through the
 * Controller, which forwards to the active controller in a cluster.
 */
import { toErrorResult } from '../../cluster/admin-errors.js';
import { ErrorCode } from '../../protocol/errors.js';
import {
  ElectLeaders,
  ElectionType,
  type ElectLeadersRequest,
  type ElectLeadersResponse,
  type ReplicaElectionResult,
} from '../../protocol/messages/elect-leaders.js';
import type { ApiHandler, RequestContext } from './types.js';

export const electLeadersHandler: ApiHandler<ElectLeadersRequest, ElectLeadersResponse> = {
  api: ElectLeaders,
  async handle(req: ElectLeadersRequest, ctx: RequestContext): Promise<ElectLeadersResponse> {
    // v0 has no election type: always preferred.
    const type = ctx.apiVersion >= 1 && req.electionType === ElectionType.UNCLEAN ? 'unclean' : 'preferred';
    if (ctx.apiVersion >= 1 && req.electionType !== ElectionType.PREFERRED && req.electionType !== ElectionType.UNCLEAN) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    const refs = req.topicPartitions === null ? null : req.topicPartitions.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p })));
    let results;
    try {
      results = await ctx.broker.controller.electLeaders(type, refs);
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toErrorResult(err).errorCode, replicaElectionResults: [] };
    }
    const byTopic = new Map<string, ReplicaElectionResult>();
    for (const r of results) {
      let t = byTopic.get(r.topic);
      if (!t) byTopic.set(r.topic, (t = { topic: r.topic, partitionResult: [] }));
      t.partitionResult.push({ partitionId: r.partition, errorCode: r.error ? ErrorCode[r.error.kind] : ErrorCode.NONE, errorMessage: r.error?.message ?? null });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic.values()] };
  },
};
