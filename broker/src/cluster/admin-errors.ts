/**
 * Mapping of controller failures to Kafka error codes for the admin handlers. ControllerError
 * kinds are spelled as Kafka's Errors, so the mapping is by name; anything unexpected becomes
 * UNKNOWN_SERVER_ERROR with its message (never a dropped connection).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ControllerError } from './types.js';

export interface ErrorResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export const NO_ERROR: ErrorResult = { errorCode: ErrorCode.NONE, errorMessage: null };

export function toErrorResult(err: unknown): ErrorResult {
  if (err instanceof ControllerError) return { errorCode: ErrorCode[err.kind], errorMessage: err.message };
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: err instanceof Error ? err.message : String(err) };
}

export function errorResult(code: number, message: string | null): ErrorResult {
  return { errorCode: code, errorMessage: message };
}

/** Names that appear more than once in a request (Kafka answers each with INVALID_REQUEST). */
export function duplicates(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return dup;
}
