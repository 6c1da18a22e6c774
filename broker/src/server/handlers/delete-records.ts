/**
 * DeleteRecords (21): move a partition's log start offset forward on its leader. With
 * followers (replication issue) Kafka also waits for them to apply it; here the leader's
 * low watermark is the answer.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import {
  DeleteRecords,
  type DeleteRecordsPartitionResult,
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
} from '../../protocol/messages/delete-records.js';
import { PartitionError } from '../../replication/errors.js';
import { OffsetOutOfRangeError } from '../../storage/types.js';
import type { ApiHandler, RequestContext } from './types.js';

function deleteOne(topic: string, partitionIndex: number, offset: number, ctx: RequestContext): DeleteRecordsPartitionResult {
  const fail = (errorCode: number): DeleteRecordsPartitionResult => ({ partitionIndex, lowWatermark: -1, errorCode });
  const state = ctx.broker.metadata.topic(topic)?.partitions[partitionIndex];
  if (!state) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (state.leader !== ctx.broker.nodeId) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const replica = ctx.broker.replicas.partition(topic, partitionIndex);
  if (!replica) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (offset < -1) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    return { partitionIndex, lowWatermark: replica.deleteRecordsBefore(offset), errorCode: ErrorCode.NONE };
  } catch (err) {
    if (err instanceof OffsetOutOfRangeError) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
    if (err instanceof PartitionError) return fail(ErrorCode[err.kind]);
    if (err instanceof KafkaError) return fail(err.code);
    ctx.broker.logger.error({ err, topic, partition: partitionIndex }, 'DeleteRecords failed');
    return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  api: DeleteRecords,
  async handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => deleteOne(t.name, p.partitionIndex, p.offset, ctx)) })),
    };
  },
};
