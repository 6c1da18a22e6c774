/**
 * Retry policy: exponential backoff with jitter, bounded by a per-call deadline, and which
 * failures mean "the metadata we routed by is stale" (refresh before the next attempt).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ConnectError, ConnectionClosedError, RequestTimeoutError } from './errors.js';

export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped, +-20% jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(attempt - 1, 20));
  const jitter = 0.8 + Math.random() * 0.4;
  return Math.max(0, Math.round(exp * jitter));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const STALE_METADATA_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_CONTROLLER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.BROKER_NOT_AVAILABLE,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_ID,
]);

/** Whether routing information should be refreshed before retrying after `err`. */
export function needsMetadataRefresh(err: unknown): boolean {
  if (err instanceof KafkaError) return STALE_METADATA_CODES.has(err.code);
  // A broker that vanished or hangs may have been replaced: ask the cluster again.
  return err instanceof ConnectError || err instanceof ConnectionClosedError || err instanceof RequestTimeoutError;
}
