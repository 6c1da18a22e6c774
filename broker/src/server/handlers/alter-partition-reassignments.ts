/**
 * AlterPartitionReassignments (45, KIP-455): start, replace or cancel (replicas null) replica
 * moves through the Controller, which forwards to the active controller in a cluster. The
 * response comes as soon as each move is *started*; ListPartitionReassignments shows progress.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  AlterPartitionReassignments,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type ReassignableTopicResponse,
} from '../../protocol/messages/alter-partition-reassignments.js';
import type { ReassignmentRequest } from '../../cluster/types.js';
import { toErrorResult } from '../../cluster/admin-errors.js';
import type { ApiHandler, RequestContext } from './types.js';

export const alterPartitionReassignmentsHandler: ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  api: AlterPartitionReassignments,
  async handle(req: AlterPartitionReassignmentsRequest, ctx: RequestContext): Promise<AlterPartitionReassignmentsResponse> {
    const items: ReassignmentRequest[] = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
    const base = { throttleTimeMs: 0, allowReplicationFactorChange: req.allowReplicationFactorChange };
    let results;
    try {
      results = await ctx.broker.controller.alterPartitionReassignments(items);
    } catch (err) {
      // Request-level failure (no controller reachable): Kafka reports it at the top level.
      const e = toErrorResult(err);
      return { ...base, errorCode: e.errorCode, errorMessage: e.errorMessage, responses: [] };
    }
    const byTopic = new Map<string, ReassignableTopicResponse>();
    for (const r of results) {
      let t = byTopic.get(r.topic);
      if (!t) byTopic.set(r.topic, (t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, errorCode: r.error ? ErrorCode[r.error.kind] : ErrorCode.NONE, errorMessage: r.error?.message ?? null });
    }
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, responses: [...byTopic.values()] };
  },
};
