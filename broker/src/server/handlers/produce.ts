/**
 * Produce (0): append each partition's batches on its leader replica. acks=1 answers after
 * the local append; acks=-1 goes through the delayed-produce wait (immediate with an ISR of
 * one); acks=0 sends no response, and closes the connection on error as Kafka does, so the
 * producer refreshes its metadata.
 */
import { ErrorCode } from '../../protocol/errors.js';
import {
  Produce,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceTopicResponse,
} from '../../protocol/messages/produce.js';
import { LOG_OVERHEAD, OFF_BATCH_LENGTH } from '../../protocol/records/batch-header.js';
import { CloseConnection } from '../dispatcher.js';
import { errorCodeOf, leaderReplica } from './partition-errors.js';
import type { ApiHandler } from './types.js';

type Pending = Promise<void>;

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  api: Produce,
  async handle(req, ctx) {
    const b = ctx.broker;
    const acks = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const waits: Pending[] = [];
    let anyError = false;

    const responses: ProduceTopicResponse[] = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((pd) => {
        const r: ProducePartitionResponse = {
          index: pd.index,
          errorCode: ErrorCode.NONE,
          baseOffset: -1,
          logAppendTimeMs: -1,
          logStartOffset: -1,
          recordErrors: [],
          errorMessage: null,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        };
        const fail = (code: number, message: string | null): ProducePartitionResponse => {
          anyError = true;
          r.errorCode = code;
          r.errorMessage = message;
          return r;
        };
        if (!validAcks) return fail(ErrorCode.INVALID_REQUIRED_ACKS, null);
        // Internal topics (__consumer_offsets) are written only by the coordinator (Kafka's
        // "Cannot append to internal topic").
        if (b.metadata.topic(t.name)?.internal === true) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${t.name}`);
        const lookup = leaderReplica(b, t.name, pd.index);
        if (lookup.replica === null) {
          // A tagged field from v10 on; older versions cannot carry it.
          if (ctx.apiVersion >= 10) r.currentLeader = lookup.currentLeader;
          return fail(lookup.errorCode, null);
        }
        const records = pd.records;
        // Produce v3+ carries exactly one batch per partition (Kafka's ProduceRequest.validateRecords).
        if (records === null || records.length === 0) return fail(ErrorCode.INVALID_RECORD, 'no record batch');
        if (records.length > LOG_OVERHEAD && LOG_OVERHEAD + records.readInt32BE(OFF_BATCH_LENGTH) < records.length) {
          return fail(ErrorCode.INVALID_RECORD, 'produce requests may contain exactly one record batch per partition');
        }
        const replica = lookup.replica;
        try {
          const out = replica.appendAsLeader(records, acks);
          r.baseOffset = out.firstOffset;
          r.logAppendTimeMs = out.logAppendTime;
          r.logStartOffset = out.logStartOffset;
          // Records from the assigned offsets (no record walk); a duplicate appended nothing.
          if (!out.duplicate) b.events?.onBytesIn(t.name, records.length, out.lastOffset - out.firstOffset + 1);
          // A duplicate waits too: its first copy may not be replicated yet (as Kafka).
          if (acks === -1) {
            waits.push(
              b.replicas.waitForReplication(replica, out.lastOffset, req.timeoutMs).then((outcome) => {
                if (outcome === 'completed') return;
                if (outcome === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND') fail(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, 'the ISR shrank below min.insync.replicas');
                else if (outcome === 'NOT_LEADER_OR_FOLLOWER') fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'leadership moved while waiting for in-sync replicas');
                else fail(ErrorCode.REQUEST_TIMED_OUT, 'timed out waiting for in-sync replicas');
              }),
            );
          }
        } catch (e) {
          const code = errorCodeOf(e);
          if (code === ErrorCode.UNKNOWN_SERVER_ERROR || code === ErrorCode.KAFKA_STORAGE_ERROR) {
            b.logger.error({ err: e, topic: t.name, partition: pd.index }, 'append failed');
          }
          fail(code, (e as Error).message);
        }
        return r;
      }),
    }));

    if (waits.length > 0) await Promise.all(waits);
    if (acks === 0) {
      if (anyError) throw new CloseConnection('acks=0 produce failed; closing so the producer refreshes metadata');
      return null;
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
};
