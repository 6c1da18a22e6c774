/**
 * Errors the replication layer reports, named by their Kafka error names so a handler maps
 * them with one table lookup (ErrorCode[kind]) and the domain stays free of wire types.
 */

export type PartitionErrorKind =
  | 'CORRUPT_MESSAGE'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'UNSUPPORTED_FOR_MESSAGE_FORMAT'
  | 'UNSUPPORTED_COMPRESSION_TYPE'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'INVALID_TXN_STATE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'REQUEST_TIMED_OUT'
  | 'KAFKA_STORAGE_ERROR'
  | 'UNKNOWN_SERVER_ERROR';

export class PartitionError extends Error {
  constructor(
    readonly kind: PartitionErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PartitionError';
  }
}
