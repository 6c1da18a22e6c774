/**
 * The seam between the client core (connections, metadata, retries) and the API call
 * modules (admin.ts, data.ts): a call names where it must go and what one attempt does;
 * the core resolves the target, supplies a negotiated connection, and retries.
 */
import type { KafkaConnection } from './connection.js';
import type { ApiVersionTable } from './version-negotiation.js';

export type Target =
  | { readonly kind: 'any' }
  | { readonly kind: 'controller' }
  | { readonly kind: 'broker'; readonly brokerId: number }
  | { readonly kind: 'leader'; readonly topic: string; readonly partition: number };

export interface CallOptions {
  /** Total time for the call, retries included (default: the client's defaultDeadlineMs). */
  readonly deadlineMs?: number;
}

export interface AttemptContext {
  readonly conn: KafkaConnection;
  readonly versions: ApiVersionTable;
  /** Timeout for this attempt's request (the request timeout, cut to the time left). */
  readonly timeoutMs: number;
}

export interface RouteOptions extends CallOptions {
  /**
   * Whether repeating the request is harmless even if the broker may have applied it (reads,
   * idempotent admin calls). When false, a timeout or a close after sending is not retried.
   */
  readonly retryAfterSend: boolean;
  /** Added to the request timeout (e.g. a Fetch's maxWaitMs or an admin call's server-side timeoutMs). */
  readonly extraTimeoutMs?: number;
}

export interface Router {
  call<T>(op: string, target: Target, opts: RouteOptions, attempt: (ctx: AttemptContext) => Promise<T>): Promise<T>;
}
