/**
 * OffsetForLeaderEpoch (23), v2-4: for each partition led here, the end offset of the
 * requested leader epoch from the leader-epoch checkpoint (the start of the next higher epoch,
 * or the LEO for the current one), with the largest epoch <= the requested one. Followers use
 * it to truncate divergent history before fetching (KIP-101/279); consumers to validate their
 * position after a leader change. currentLeaderEpoch fences stale callers.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  OffsetForLeaderEpoch,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  type EpochEndOffsetResult,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../../protocol/messages/offset-for-leader-epoch.js';
import { leaderReplica } from './partition-errors.js';
import type { ApiHandler } from './types.js';

export const offsetForLeaderEpochHandler: ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  api: OffsetForLeaderEpoch,
  async handle(req, ctx) {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p): EpochEndOffsetResult => {
          const lookup = leaderReplica(b, t.topic, p.partition, p.currentLeaderEpoch);
          if (lookup.replica === null) {
            return { errorCode: lookup.errorCode, partition: p.partition, leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
          }
          const r = lookup.replica;
          const e = r.log.epochs.endOffsetFor(p.leaderEpoch, r.logEndOffset);
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: e.epoch, endOffset: e.endOffset };
        }),
      })),
    };
  },
};
