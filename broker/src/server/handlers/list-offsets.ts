/**
 * ListOffsets (2), v1-7: earliest (-2), latest (-1, the HW — the LSO equals it until
 * transactions exist), max timestamp (-3, v7), and by timestamp: the time index finds the
 * batch, and only that one batch is decoded to pick the exact record.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  ListOffsets,
  MAX_TIMESTAMP,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../../protocol/messages/list-offsets.js';
import { partitionLeaderEpochAt } from '../../protocol/records/batch-header.js';
import { decodeBatch } from '../../protocol/records/record-codec.js';
import type { PartitionReplica } from '../../replication/types.js';
import { errorCodeOf, leaderReplica } from './partition-errors.js';
import type { ApiHandler } from './types.js';

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  api: ListOffsets,
  async handle(req, ctx) {
    const b = ctx.broker;
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<ListOffsetsPartitionResponse> => {
            const out: ListOffsetsPartitionResponse = {
              partitionIndex: p.partitionIndex,
              errorCode: ErrorCode.NONE,
              timestamp: -1,
              offset: -1,
              leaderEpoch: -1,
            };
            if (p.timestamp === MAX_TIMESTAMP && ctx.apiVersion < 7) {
              out.errorCode = ErrorCode.UNSUPPORTED_VERSION;
              return out;
            }
            const lookup = leaderReplica(b, t.name, p.partitionIndex, p.currentLeaderEpoch);
            if (lookup.replica === null) {
              out.errorCode = lookup.errorCode;
              return out;
            }
            try {
              return { ...out, ...(await lookupOffset(lookup.replica, p.timestamp)) };
            } catch (e) {
              out.errorCode = errorCodeOf(e);
              if (out.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR || out.errorCode === ErrorCode.CORRUPT_MESSAGE) {
                b.logger.error({ err: e, topic: t.name, partition: p.partitionIndex }, 'offset lookup failed');
              }
              return out;
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};

type Found = Pick<ListOffsetsPartitionResponse, 'timestamp' | 'offset' | 'leaderEpoch'>;

const NOT_FOUND: Found = { timestamp: -1, offset: -1, leaderEpoch: -1 };

async function lookupOffset(r: PartitionReplica, timestamp: number): Promise<Found> {
  if (timestamp === EARLIEST_TIMESTAMP) return { timestamp: -1, offset: r.logStartOffset, leaderEpoch: r.leaderEpoch };
  if (timestamp === LATEST_TIMESTAMP) return { timestamp: -1, offset: r.highWatermark, leaderEpoch: r.leaderEpoch };
  const found = timestamp === MAX_TIMESTAMP ? r.log.findMaxTimestampBatch() : timestamp >= 0 ? r.log.findBatchByTimestamp(timestamp) : null;
  if (found === null) return NOT_FOUND;
  const batch = await decodeBatch(found.batch, 0);
  const leaderEpoch = partitionLeaderEpochAt(found.batch, 0);
  let pick: { offset: number; timestamp: number } | undefined;
  if (timestamp === MAX_TIMESTAMP) {
    // The first record carrying the batch's max timestamp (as Kafka's offsetOfMaxTimestamp).
    for (const rec of batch.records) if (pick === undefined || rec.timestamp > pick.timestamp) pick = rec;
  } else {
    pick = batch.records.find((rec) => rec.timestamp >= timestamp);
  }
  if (pick === undefined) return NOT_FOUND;
  const offset = found.baseOffset + (pick.offset - batch.baseOffset); // pick.offset is relative to the decoded batch
  // Consumers never learn of offsets at or past the HW (invariant 2).
  if (offset >= r.highWatermark) return NOT_FOUND;
  return { timestamp: pick.timestamp, offset, leaderEpoch };
}
