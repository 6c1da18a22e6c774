/**
 * Reads and writes __consumer_offsets in Kafka's record formats through the OffsetsTopicPort:
 * offset commits (one batch per commit request, so a commit of N partitions is atomic), group
 * metadata on generation changes, tombstones (null values) on deletion and expiry. Loading
 * replays a partition into plain maps: last record wins, tombstones delete.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  consumerOffsetsKeyType,
  decodeConsumerOffsetsKey,
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GROUP_METADATA_KEY_TYPE,
  OFFSET_COMMIT_KEY_TYPE,
  OFFSET_COMMIT_KEY_TYPE_LEGACY,
  type GroupMetadataValue,
} from '../protocol/messages/consumer-offsets-records.js';
import { buildBatch, decodeBatches, type RecordInput } from '../protocol/records/record-codec.js';
import { offsetKey } from './group.js';
import type { CommittedOffset, OffsetsTopicPort, Scheduler } from './types.js';

export interface LoadedGroup {
  metadata: GroupMetadataValue | null;
  offsets: Map<string, CommittedOffset>;
}

export type OffsetRecord = { topic: string; partition: number; value: CommittedOffset | null };

/** Kafka's mapping of append errors for group metadata writes (GroupMetadataManager.storeGroup). */
export function groupStoreError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/** Kafka's mapping for offset commit appends (GroupMetadataManager.maybeConvertOffsetCommitError). */
export function offsetCommitError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** An append failure as a Kafka error code (non-Kafka errors are UNKNOWN_SERVER_ERROR). */
export function appendErrorCode(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

export class GroupStore {
  constructor(
    private readonly port: OffsetsTopicPort,
    private readonly scheduler: Scheduler,
    private readonly logger?: Logger,
  ) {}

  offsetRecord(groupId: string, r: OffsetRecord): RecordInput {
    const key = encodeOffsetCommitKey({ group: groupId, topic: r.topic, partition: r.partition });
    if (r.value === null) return { key, value: null };
    const v = r.value;
    return {
      key,
      value: encodeOffsetCommitValue({
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: v.commitTimestamp,
        expireTimestamp: v.expireTimestamp,
      }),
    };
  }

  groupRecord(groupId: string, value: GroupMetadataValue | null): RecordInput {
    return { key: encodeGroupMetadataKey(groupId), value: value === null ? null : encodeGroupMetadataValue(value) };
  }

  /**
   * Append `records` as one uncompressed batch to __consumer_offsets-`partition`; resolves to
   * the base offset. Throws KafkaError (NOT_COORDINATOR when the partition is not here).
   */
  async append(partition: number, records: RecordInput[]): Promise<number> {
    const log = this.port.partitionLog(partition);
    if (log === undefined || !this.port.isLocalLeader(partition)) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `__consumer_offsets-${partition} is not led here`);
    }
    const now = this.scheduler.now();
    const batch = await buildBatch({ records: records.map((r) => ({ ...r, timestamp: now })) });
    return log.append(batch);
  }

  /**
   * Replay __consumer_offsets-`partition` up to its log end offset into per-group state.
   *
   * The bound is the LEO, not the HW, as Kafka's coordinator loads: a newly elected leader's
   * HW lags until its followers fetch again, yet everything it holds will be committed
   * (followers truncate to the new leader's log; if it loses leadership the partition is
   * unloaded and reloaded elsewhere). Stopping at the HW could therefore drop offset commits
   * the previous leader had already acknowledged. On a single broker HW == LEO.
   */
  async load(partition: number): Promise<Map<string, LoadedGroup>> {
    const log = this.port.partitionLog(partition);
    if (log === undefined) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__consumer_offsets-${partition} is not here`);
    const end = log.logEndOffset;
    // Invariant 2 on the port: a replica's HW never passes its LEO, so the LEO bound covers everything committed.
    if (log.highWatermark > end) throw new Error(`__consumer_offsets-${partition}: HW ${log.highWatermark} beyond LEO ${end}`);
    const groups = new Map<string, LoadedGroup>();
    const entry = (g: string): LoadedGroup => {
      let e = groups.get(g);
      if (e === undefined) {
        e = { metadata: null, offsets: new Map() };
        groups.set(g, e);
      }
      return e;
    };
    if (log.logStartOffset >= end) return groups;
    outer: for await (const chunk of log.readFrom(log.logStartOffset)) {
      for (const batch of await decodeBatches(chunk)) {
        if (batch.baseOffset >= end) break outer;
        // Control batches are transaction markers; transactional offsets come with that feature.
        if (batch.control) continue;
        for (const rec of batch.records) {
          if (rec.offset >= end) break outer;
          this.applyRecord(partition, rec.offset, rec.key, rec.value, entry);
        }
      }
    }
    // A group whose metadata was tombstoned but which still has offsets lives on as Empty;
    // one with neither metadata nor offsets left is gone.
    for (const [g, e] of groups) if (e.metadata === null && e.offsets.size === 0) groups.delete(g);
    return groups;
  }

  private applyRecord(
    partition: number,
    recordOffset: number,
    key: Buffer | null,
    value: Buffer | null,
    entry: (g: string) => LoadedGroup,
  ): void {
    if (key === null || key.length < 2) {
      this.logger?.warn({ partition, recordOffset }, '__consumer_offsets record without a key; skipped');
      return;
    }
    const type = consumerOffsetsKeyType(key);
    if (type !== OFFSET_COMMIT_KEY_TYPE && type !== OFFSET_COMMIT_KEY_TYPE_LEGACY && type !== GROUP_METADATA_KEY_TYPE) {
      // KIP-848 (new consumer protocol) record types: not a classic group's business.
      return;
    }
    try {
      const k = decodeConsumerOffsetsKey(key);
      if (k.type === 'offset') {
        const ok = offsetKey(k.topic, k.partition);
        if (value === null) {
          entry(k.group).offsets.delete(ok);
          return;
        }
        const v = decodeOffsetCommitValue(value);
        entry(k.group).offsets.set(ok, {
          offset: v.offset,
          leaderEpoch: v.leaderEpoch,
          metadata: v.metadata,
          commitTimestamp: v.commitTimestamp,
          expireTimestamp: v.expireTimestamp,
          recordOffset,
        });
      } else if (value === null) {
        entry(k.group).metadata = null;
      } else {
        const v = decodeGroupMetadataValue(value);
        entry(k.group).metadata = v;
      }
    } catch (err) {
      // One undecodable record must not make the whole partition unloadable forever.
      this.logger?.warn({ partition, recordOffset, err }, 'undecodable __consumer_offsets record; skipped');
    }
  }
}
