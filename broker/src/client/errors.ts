/**
 * Typed errors of the client. Every failure a caller can see is one of these or a
 * protocol-layer KafkaError (a broker answered with an error code), so callers branch on
 * `instanceof` rather than on message text.
 */
import { isRetriable, KafkaError } from '../protocol/errors.js';

/** Base class: anything that went wrong talking to a broker. */
export class ClientError extends Error {
  override readonly name: string = 'ClientError';
}

/** Could not open the TCP connection (refused, unreachable, connect timeout). Nothing was sent. */
export class ConnectError extends ClientError {
  override readonly name = 'ConnectError';
  constructor(
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`connect to ${address}: ${message}`, options);
  }
}

/**
 * The connection closed (peer FIN/RST, our close(), or a fatal protocol violation) while the
 * request was queued or in flight. `sent` says whether the request may have reached the
 * broker: a non-idempotent write must not be blindly retried when it is true.
 */
export class ConnectionClosedError extends ClientError {
  override readonly name = 'ConnectionClosedError';
  constructor(
    readonly address: string,
    readonly sent: boolean,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${address}: ${message}`, options);
  }
}

/** No response within the request's timeout. The broker may still process the request. */
export class RequestTimeoutError extends ClientError {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly address: string,
    readonly apiName: string,
    readonly timeoutMs: number,
  ) {
    super(`${address}: ${apiName} got no response within ${timeoutMs} ms`);
  }
}

/** The peer sent bytes that are not a valid Kafka response (bad frame size, unknown correlation id, undecodable body). */
export class PeerProtocolError extends ClientError {
  override readonly name = 'PeerProtocolError';
  constructor(
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${address}: ${message}`, options);
  }
}

/** The broker does not support any version of the API this client can speak. */
export class UnsupportedApiError extends ClientError {
  override readonly name = 'UnsupportedApiError';
  constructor(
    readonly apiName: string,
    readonly apiKey: number,
    message: string,
  ) {
    super(`${apiName} (key ${apiKey}): ${message}`);
  }
}

/** Too many requests queued behind a full in-flight window; the caller should back off. */
export class QueueFullError extends ClientError {
  override readonly name = 'QueueFullError';
}

/** Errors after which asking again (maybe elsewhere, after a metadata refresh) can succeed. */
export function isRetriableError(err: unknown): boolean {
  if (err instanceof KafkaError) return isRetriable(err.code);
  return err instanceof ConnectError || err instanceof ConnectionClosedError || err instanceof RequestTimeoutError;
}

/**
 * Whether a retry may duplicate a write: true only when the broker may have received the
 * request (a timeout, or a close after sending). Kafka error codes mean it was rejected.
 */
export function mayHaveBeenApplied(err: unknown): boolean {
  if (err instanceof RequestTimeoutError) return true;
  if (err instanceof ConnectionClosedError) return err.sent;
  return false;
}
