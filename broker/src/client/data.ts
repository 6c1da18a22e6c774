/**
 * Data-path calls routed to a partition's leader: Produce, Fetch, ListOffsets. Each handles
 * one partition and turns a partition-level error code into a KafkaError, so retriable ones
 * (NOT_LEADER_OR_FOLLOWER, ...) go through the router's refresh-and-retry.
 */
import { KafkaError, ErrorCode } from '../protocol/errors.js';
import { Fetch, type FetchPartitionData, type FetchResponse } from '../protocol/messages/fetch.js';
import { LATEST_TIMESTAMP, ListOffsets, type ListOffsetsResponse } from '../protocol/messages/list-offsets.js';
import { Produce, type ProducePartitionResponse, type ProduceResponse } from '../protocol/messages/produce.js';
import { producerIdAt } from '../protocol/records/batch-header.js';
import type { CallOptions, Router } from './router.js';

export type Acks = 0 | 1 | -1;

export interface ProduceOptions extends CallOptions {
  /** How long the broker may wait for acks=-1 replication (default 30 s). */
  readonly timeoutMs?: number;
  readonly transactionalId?: string | null;
  /**
   * Retry even when the broker may already have appended the batch (a timeout or a close
   * after sending): may duplicate records. Always on for idempotent batches (producerId >= 0),
   * which the broker de-duplicates.
   */
  readonly retryAfterSend?: boolean;
}

export interface FetchOptions extends CallOptions {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Per-partition limit (default 1 MiB); the response limit is the same. */
  readonly maxBytes?: number;
  /** Long-poll time (default 0: answer at once). */
  readonly maxWaitMs?: number;
  readonly minBytes?: number;
  /** -1 for a consumer (default); a broker id for a follower. */
  readonly replicaId?: number;
  readonly currentLeaderEpoch?: number;
  /** v12+: the epoch of the last fetched batch, for divergence detection (-1 = unknown). */
  readonly lastFetchedEpoch?: number;
  /** 0 = read uncommitted, 1 = read committed. */
  readonly isolationLevel?: number;
}

export interface ListOffsetsOptions extends CallOptions {
  readonly isolationLevel?: number;
  readonly currentLeaderEpoch?: number;
}

export interface OffsetAndTimestamp {
  readonly offset: number;
  readonly timestamp: number;
  readonly leaderEpoch: number;
}

function partitionError(api: string, topic: string, partition: number, code: number, message?: string | null): KafkaError {
  return new KafkaError(code, `${api} ${topic}-${partition}: ${message ?? ''}`.trim() + ` (error ${code})`);
}

export abstract class DataCalls {
  protected abstract get router(): Router;

  /**
   * Appends one or more whole record batches (v2) to a partition. Resolves with the
   * partition's response (baseOffset etc.), or null for acks=0 (the broker does not answer).
   */
  produce(topic: string, partition: number, batch: Buffer, acks: Acks, opts: ProduceOptions = {}): Promise<ProducePartitionResponse | null> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const idempotent = batch.length >= 61 && producerIdAt(batch, 0) >= 0;
    const body = {
      transactionalId: opts.transactionalId ?? null,
      acks,
      timeoutMs,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    };
    const route = { ...opts, retryAfterSend: idempotent || opts.retryAfterSend === true, extraTimeoutMs: timeoutMs };
    return this.router.call('Produce', { kind: 'leader', topic, partition }, route, async ({ conn, versions, timeoutMs: t }) => {
      const version = versions.pick(Produce);
      if (acks === 0) {
        await conn.request(Produce, version, body, { timeoutMs: t, expectResponse: false });
        return null;
      }
      const res = await conn.request<ProduceResponse>(Produce, version, body, { timeoutMs: t });
      const p = res.responses.find((r) => r.name === topic)?.partitionResponses.find((r) => r.index === partition);
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Produce ${topic}-${partition}: partition missing from response`);
      if (p.errorCode !== ErrorCode.NONE) throw partitionError('Produce', topic, partition, p.errorCode, p.errorMessage);
      return p;
    });
  }

  /**
   * Fetches from one partition. `records` in the result is a view of the response frame
   * (no copy), holding whole batches; it may end with a partial batch, as in Kafka.
   */
  fetch(opts: FetchOptions): Promise<FetchPartitionData> {
    const { topic, partition } = opts;
    const maxBytes = opts.maxBytes ?? 1024 * 1024;
    const maxWaitMs = opts.maxWaitMs ?? 0;
    const route = { ...opts, retryAfterSend: true, extraTimeoutMs: maxWaitMs };
    return this.router.call('Fetch', { kind: 'leader', topic, partition }, route, async ({ conn, versions, timeoutMs }) => {
      // Fetch.maxVersion is 12, so topics go by name (v13+ would need topic ids).
      const version = versions.pick(Fetch);
      const body = {
        replicaId: opts.replicaId ?? -1,
        maxWaitMs,
        minBytes: opts.minBytes ?? 1,
        maxBytes,
        isolationLevel: opts.isolationLevel ?? 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic,
            partitions: [
              {
                partition,
                currentLeaderEpoch: opts.currentLeaderEpoch ?? -1,
                fetchOffset: opts.offset,
                lastFetchedEpoch: version >= 12 ? (opts.lastFetchedEpoch ?? -1) : -1,
                logStartOffset: -1,
                partitionMaxBytes: maxBytes,
              },
            ],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      };
      const res = await conn.request<FetchResponse>(Fetch, version, body, { timeoutMs });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `Fetch: top-level error ${res.errorCode}`);
      const p = res.responses.find((r) => r.topic === topic)?.partitions.find((r) => r.partitionIndex === partition);
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Fetch ${topic}-${partition}: partition missing from response`);
      if (p.errorCode !== ErrorCode.NONE) throw partitionError('Fetch', topic, partition, p.errorCode);
      return p;
    });
  }

  /** The offset for a timestamp, or LATEST_TIMESTAMP (-1) / EARLIEST_TIMESTAMP (-2) / MAX_TIMESTAMP (-3). */
  listOffsets(topic: string, partition: number, timestamp: number = LATEST_TIMESTAMP, opts: ListOffsetsOptions = {}): Promise<OffsetAndTimestamp> {
    return this.router.call('ListOffsets', { kind: 'leader', topic, partition }, { ...opts, retryAfterSend: true }, async ({ conn, versions, timeoutMs }) => {
      const version = versions.pick(ListOffsets);
      const body = {
        replicaId: -1,
        isolationLevel: version >= 2 ? (opts.isolationLevel ?? 0) : 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, timestamp }] }],
        timeoutMs: version >= 10 ? timeoutMs : 0,
      };
      const res = await conn.request<ListOffsetsResponse>(ListOffsets, version, body, { timeoutMs });
      const p = res.topics.find((t) => t.name === topic)?.partitions.find((r) => r.partitionIndex === partition);
      if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets ${topic}-${partition}: partition missing from response`);
      if (p.errorCode !== ErrorCode.NONE) throw partitionError('ListOffsets', topic, partition, p.errorCode);
      return { offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
    });
  }
}
