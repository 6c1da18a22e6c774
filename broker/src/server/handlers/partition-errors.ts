/**
 * Shared by the data-path handlers: map domain errors to Kafka codes and resolve a
 * (topic, partition) to the local replica or the error Kafka would give.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { PartitionError } from '../../replication/errors.js';
import type { PartitionReplica } from '../../replication/types.js';
import { OffsetOutOfRangeError } from '../../storage/types.js';
import type { BrokerServices } from './types.js';

export function errorCodeOf(e: unknown): number {
  if (e instanceof PartitionError) return ErrorCode[e.kind];
  if (e instanceof OffsetOutOfRangeError) return ErrorCode.OFFSET_OUT_OF_RANGE;
  if (e instanceof KafkaError) return e.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export type ReplicaLookup = { readonly replica: PartitionReplica; readonly errorCode: 0 } | { readonly replica: null; readonly errorCode: number };

/**
 * The local leader replica, or UNKNOWN_TOPIC_OR_PARTITION (no such topic/partition) /
 * NOT_LEADER_OR_FOLLOWER (exists, but not led here). `currentLeaderEpoch` (-1 = unchecked)
 * gives FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH as in Kafka.
 */
export function leaderReplica(b: BrokerServices, topic: string, partition: number, currentLeaderEpoch = -1): ReplicaLookup {
  const replica = b.replicas.partition(topic, partition);
  if (replica === undefined) {
    const t = b.metadata.topic(topic);
    const exists = t !== undefined && partition >= 0 && partition < t.partitions.length;
    return { replica: null, errorCode: exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  }
  if (!replica.isLeader) return { replica: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== replica.leaderEpoch) {
    return {
      replica: null,
      errorCode: currentLeaderEpoch < replica.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH,
    };
  }
  return { replica, errorCode: 0 };
}
