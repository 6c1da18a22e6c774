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

export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}

/** On an error, `currentLeader` is what this broker's image says (the tagged currentLeader field). */
export type ReplicaLookup =
  | { readonly replica: PartitionReplica; readonly errorCode: 0 }
  | { readonly replica: null; readonly errorCode: number; readonly currentLeader: LeaderIdAndEpoch };

/**
 * The local leader replica, or UNKNOWN_TOPIC_OR_PARTITION (no such topic/partition) /
 * NOT_LEADER_OR_FOLLOWER (exists, but not led here, or this broker's session lapsed).
 * `currentLeaderEpoch` (-1 = unchecked) gives FENCED_LEADER_EPOCH (the client's epoch is
 * older) / UNKNOWN_LEADER_EPOCH (newer than ours: our metadata lags) as in Kafka; Kafka checks
 * the epoch before leadership, so a stale client learns it is fenced even from a follower.
 */
export function leaderReplica(b: BrokerServices, topic: string, partition: number, currentLeaderEpoch = -1): ReplicaLookup {
  const replica = b.replicas.partition(topic, partition);
  const state = b.metadata.topic(topic)?.partitions[partition];
  const currentLeader = { leaderId: state?.leader ?? -1, leaderEpoch: state?.leaderEpoch ?? -1 };
  if (replica === undefined) {
    const exists = state !== undefined && partition >= 0;
    return { replica: null, errorCode: exists ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, currentLeader };
  }
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== replica.leaderEpoch) {
    const errorCode = currentLeaderEpoch < replica.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
    return { replica: null, errorCode, currentLeader };
  }
  if (!replica.isLeader) return { replica: null, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader };
  return { replica, errorCode: 0 };
}
