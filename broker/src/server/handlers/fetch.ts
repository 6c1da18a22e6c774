/**
 * Fetch (1), v4-12. Serves whole stored batches below the HW as the storage chunks they
 * were read into (no per-record work, no copies). Long-polls through the replica manager
 * until min_bytes arrive or max_wait_ms passes. Incremental fetch sessions are not offered:
 * every answer carries session_id 0, which clients take as "keep sending full fetches".
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  Fetch,
  type FetchPartitionData,
  type FetchRequest,
  type FetchResponse,
  type FetchableTopicResponse,
} from '../../protocol/messages/fetch.js';
import type { PartitionReplica } from '../../replication/types.js';
import { recordsInBatches, type BrokerEvents } from '../events.js';
import { errorCodeOf, leaderReplica } from './partition-errors.js';
import type { ApiHandler, BrokerServices } from './types.js';

const FINAL_EPOCH = -1;
const READ_COMMITTED = 1;

interface ReadPass {
  readonly responses: FetchableTopicResponse[];
  readonly bytes: number;
  readonly replicas: PartitionReplica[];
  readonly anyError: boolean;
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  api: Fetch,
  async handle(req, ctx) {
    const b = ctx.broker;
    // Sessions (v7+): session 0 with epoch 0 (new) or -1 (sessionless) is a full fetch;
    // anything else names a session we never created.
    if (ctx.apiVersion >= 7 && (req.sessionId !== 0 || (req.sessionEpoch !== 0 && req.sessionEpoch !== FINAL_EPOCH))) {
      const errorCode = req.sessionId !== 0 ? ErrorCode.FETCH_SESSION_ID_NOT_FOUND : ErrorCode.INVALID_FETCH_SESSION_EPOCH;
      return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    const maxBytes = Math.min(req.maxBytes > 0 ? req.maxBytes : Number.MAX_SAFE_INTEGER, b.config.settings['fetch.max.bytes']);

    // A follower (replica_id >= 0) reads up to the LEO and reports its own LEO by its fetch offset.
    const follower = req.replicaId >= 0;
    let pass = readAll(b, req, maxBytes, ctx.apiVersion, true);
    // Kafka answers at once when there is nothing to wait for or an error to report.
    const wait = req.maxWaitMs > 0 && pass.bytes < req.minBytes && !pass.anyError && pass.replicas.length > 0;
    if (wait) {
      // Re-read whatever the outcome: a timed-out or interrupted wait may still have new data.
      await b.replicas.waitForData(pass.replicas, req.minBytes - pass.bytes, req.maxWaitMs, follower);
      pass = readAll(b, req, maxBytes, ctx.apiVersion, false);
    }
    if (b.events !== undefined) reportBytesOut(b.events, pass.responses);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: pass.responses, nodeEndpoints: [] };
  },
};

/** Bytes and records served, per topic, from the pass actually sent (batch headers only). */
function reportBytesOut(events: BrokerEvents, responses: readonly FetchableTopicResponse[]): void {
  for (const t of responses) {
    let bytes = 0;
    let records = 0;
    for (const p of t.partitions) {
      const r = p.records;
      if (r === null) continue;
      const chunks = Buffer.isBuffer(r) ? [r] : r;
      for (const c of chunks) bytes += c.length;
      if (chunks.length > 0) records += recordsInBatches(chunks);
    }
    if (bytes > 0) events.onBytesOut(t.topic, bytes, records);
  }
}

/** `first`: the pass that records a follower's fetch offset (once per request). */
function readAll(b: BrokerServices, req: FetchRequest, maxBytes: number, apiVersion: number, first: boolean): ReadPass {
  const followerId = req.replicaId >= 0 ? req.replicaId : -1;
  let remaining = maxBytes;
  let bytes = 0;
  let anyError = false;
  // As Kafka: the first partition with data may exceed the limits by one batch, so a
  // consumer always progresses past a batch larger than its fetch sizes.
  let minOneBatch = true;
  const replicas: PartitionReplica[] = [];
  const abortedTransactions = req.isolationLevel === READ_COMMITTED ? [] : null;

  const responses = req.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((fp): FetchPartitionData => {
      const out: FetchPartitionData = {
        partitionIndex: fp.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        divergingEpoch: { epoch: -1, endOffset: -1 },
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
        snapshotId: { endOffset: -1, epoch: -1 },
        abortedTransactions,
        preferredReadReplica: -1,
        records: null,
      };
      const lookup = leaderReplica(b, t.topic, fp.partition, fp.currentLeaderEpoch);
      if (lookup.replica === null) {
        anyError = true;
        out.errorCode = lookup.errorCode;
        // A tagged field from v12 on; older versions cannot carry it.
        if (apiVersion >= 12) out.currentLeader = lookup.currentLeader;
        return out;
      }
      const replica = lookup.replica;
      if (followerId >= 0) {
        const f = followerFetch(b, replica, followerId, fp.fetchOffset, apiVersion >= 12 ? fp.lastFetchedEpoch : -1, first);
        if (f !== null) {
          // Diverged, or not a replica: answer now, without records, so it truncates or backs off.
          anyError = true;
          if (typeof f === 'number') out.errorCode = f;
          else out.divergingEpoch = f;
          out.highWatermark = replica.highWatermark;
          out.logStartOffset = replica.logStartOffset;
          return out;
        }
      }
      out.highWatermark = replica.highWatermark;
      out.lastStableOffset = replica.highWatermark; // no transactions yet: LSO == HW
      out.logStartOffset = replica.logStartOffset;
      replicas.push(replica);
      const limit = Math.min(fp.partitionMaxBytes, remaining);
      if (limit <= 0 && !minOneBatch) {
        out.records = [];
        return out;
      }
      try {
        // Pooled: these chunks only go to this connection's socket, which recycles them once written.
        const data =
          followerId >= 0
            ? replica.readForFollower(fp.fetchOffset, Math.max(0, limit), minOneBatch, true)
            : replica.read(fp.fetchOffset, Math.max(0, limit), minOneBatch, true);
        out.highWatermark = data.highWatermark;
        out.lastStableOffset = data.highWatermark;
        out.logStartOffset = data.logStartOffset;
        out.records = data.chunks;
        if (data.bytes > 0) {
          minOneBatch = false;
          bytes += data.bytes;
          remaining -= data.bytes;
        }
      } catch (e) {
        anyError = true;
        out.errorCode = errorCodeOf(e);
        if (out.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
          b.logger.error({ err: e, topic: t.topic, partition: fp.partition }, 'fetch read failed');
        }
      }
      return out;
    }),
  }));
  return { responses, bytes, replicas, anyError };
}

/**
 * Leader side of a follower's fetch (first pass only records): a lastFetchedEpoch the leader's
 * history does not continue gets divergingEpoch (Kafka's validateFetchOffsetAndMaybeGetDivergingEpoch);
 * otherwise an in-range fetch offset is the follower's LEO (HW, ISR, delayed produces move).
 * Returns null to go on reading, an error code, or the diverging epoch.
 */
function followerFetch(
  b: BrokerServices,
  replica: PartitionReplica,
  followerId: number,
  fetchOffset: number,
  lastFetchedEpoch: number,
  first: boolean,
): number | { epoch: number; endOffset: number } | null {
  if (lastFetchedEpoch >= 0) {
    const e = replica.log.epochs.endOffsetFor(lastFetchedEpoch, replica.logEndOffset);
    if (e.epoch < lastFetchedEpoch || e.endOffset < fetchOffset) return { epoch: e.epoch, endOffset: e.endOffset };
  }
  if (!first || fetchOffset < replica.logStartOffset || fetchOffset > replica.logEndOffset) return null; // the read reports OFFSET_OUT_OF_RANGE
  return b.replicas.recordFollowerFetch(replica, followerId, fetchOffset) ? null : ErrorCode.NOT_LEADER_OR_FOLLOWER;
}
