/**
 * ListPartitionReassignments (46, KIP-455): the ongoing moves, read from this broker's
 * metadata image (replicas is the union of old and new during a move).
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  ListPartitionReassignments,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
  type OngoingTopicReassignment,
} from '../../protocol/messages/list-partition-reassignments.js';
import type { ApiHandler, RequestContext } from './types.js';

export const listPartitionReassignmentsHandler: ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  api: ListPartitionReassignments,
  handle(req: ListPartitionReassignmentsRequest, ctx: RequestContext): Promise<ListPartitionReassignmentsResponse> {
    const filter = req.topics === null ? null : req.topics.flatMap((t) => t.partitionIndexes.map((p) => ({ topic: t.name, partition: p })));
    const byTopic = new Map<string, OngoingTopicReassignment>();
    for (const r of ctx.broker.controller.listPartitionReassignments(filter)) {
      let t = byTopic.get(r.topic);
      if (!t) byTopic.set(r.topic, (t = { name: r.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: r.partition, replicas: [...r.replicas], addingReplicas: [...r.addingReplicas], removingReplicas: [...r.removingReplicas] });
    }
    return Promise.resolve({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...byTopic.values()] });
  },
};
