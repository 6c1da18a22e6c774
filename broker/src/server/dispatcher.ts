/**
 * One request frame in, one encoded response (or nothing) out: header decode, routing by
 * api key, version check, body decode, the handler call, response encode. Everything that
 * must end the connection (unknown api key, undecodable input) is a CloseConnection.
 */
import type { Logger } from 'pino';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  decodeRequestHeader,
  encodeResponseHeader,
  peekApiKeyVersion,
  responseHeaderVersion,
  type RequestHeader,
} from '../protocol/headers.js';
import { ProtocolError, Reader, Writer, type WriterOutput } from '../protocol/primitives.js';
import type { ApiDefinition } from '../protocol/schema-types.js';
import { inVersionRange } from '../protocol/versions.js';
import type { ApiHandler, BrokerServices, RequestContext } from './handlers/types.js';
import { ApiVersions } from '../protocol/messages/api-versions.js';
import { countErrorCodes, type BrokerEvents } from './events.js';

/** The connection must be closed; `reason` is logged. */
export class CloseConnection extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CloseConnection';
  }
}

export type HandlerRegistry = ReadonlyMap<number, ApiHandler>;

export class Dispatcher {
  constructor(
    private readonly handlers: HandlerRegistry,
    private readonly services: BrokerServices,
    private readonly logger: Logger,
    /** Request metrics; absent in tests that do not care. */
    private readonly events: BrokerEvents | null = null,
  ) {}

  /** Reused per request (observeRequest reads it synchronously), so counting allocates nothing. */
  private readonly errorCounts = new Map<number, number>();

  /**
   * Report one finished request. Queue time is frame complete -> handler start; total time is
   * frame complete -> response encoded (what the socket then does is the client's problem).
   */
  private observe(apiName: string, receivedAt: number, handlerStartedAt: number, response: unknown, code: number | null): void {
    if (this.events === null) return;
    const counts = this.errorCounts;
    counts.clear();
    if (code !== null) counts.set(code, 1);
    else countErrorCodes(response, counts);
    const now = performance.now();
    this.events.observeRequest(apiName, counts, (handlerStartedAt - receivedAt) / 1000, (now - receivedAt) / 1000);
  }

  /**
   * Returns the response bytes (size prefix included) or null when there is no response.
   * `receivedAt` (performance.now()) is when the frame was complete; default: now.
   */
  async dispatch(frame: Buffer, connectionId: string, receivedAt: number = performance.now()): Promise<WriterOutput | null> {
    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(reader);
    } catch (e) {
      // A client probing ApiVersions at a version newer than ours may use a header layout we
      // cannot parse (e.g. no tagged-field section); it still gets its v0 error answer.
      const peek = frame.length >= 8 ? peekApiKeyVersion(frame) : null;
      const av = this.handlers.get(ApiVersions.apiKey);
      if (peek !== null && av !== undefined && peek.apiKey === ApiVersions.apiKey && peek.apiVersion > av.api.maxVersion) {
        const out = this.unsupportedVersion(av.api, { ...peek, clientId: null, headerVersion: 1 });
        this.observe(av.api.name, receivedAt, receivedAt, null, ErrorCode.UNSUPPORTED_VERSION);
        return out;
      }
      throw new CloseConnection(`malformed request header: ${(e as Error).message}`);
    }
    const handler = this.handlers.get(header.apiKey);
    if (handler === undefined) {
      throw new CloseConnection(`unknown api key ${header.apiKey} (version ${header.apiVersion})`);
    }
    const api = handler.api;
    const version = header.apiVersion;
    if (version < api.minVersion || version > api.maxVersion) {
      const out = this.unsupportedVersion(api, header);
      this.observe(api.name, receivedAt, receivedAt, null, ErrorCode.UNSUPPORTED_VERSION);
      return out;
    }

    let request: unknown;
    try {
      request = decodeMessage(api.request, version, reader);
    } catch (e) {
      if (e instanceof ProtocolError || e instanceof RangeError) {
        throw new CloseConnection(`malformed ${api.name} v${version} request: ${e.message}`);
      }
      throw e;
    }

    const ctx: RequestContext = {
      broker: this.services,
      apiVersion: version,
      correlationId: header.correlationId,
      clientId: header.clientId,
      connectionId,
    };
    let response: unknown;
    const handlerStartedAt = this.events === null ? 0 : performance.now();
    try {
      response = await handler.handle(request, ctx);
    } catch (e) {
      if (e instanceof CloseConnection) throw e;
      const code = e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
      if (!(e instanceof KafkaError)) {
        this.logger.error({ err: e, api: api.name, version, connectionId }, 'handler failed');
      }
      const out = this.errorResponse(api, header, code);
      if (out === null) throw new CloseConnection(`${api.name} handler failed: ${(e as Error).message}`);
      this.observe(api.name, receivedAt, handlerStartedAt, null, code);
      return out;
    }
    if (response === null) {
      // acks=0 produce: counted as a request, with no response to take error codes from.
      this.observe(api.name, receivedAt, handlerStartedAt, null, null);
      return null;
    }
    const encoded = encodeResponse(api, version, header.correlationId, response);
    this.observe(api.name, receivedAt, handlerStartedAt, response, null);
    return encoded;
  }

  /**
   * A version outside our advertised range. ApiVersions answers error 35 in a v0 body listing
   * its own range (KIP-511; librdkafka relies on it). Other APIs get UNSUPPORTED_VERSION when
   * the response has a top-level error code and the version exists in the schema; otherwise
   * the connection closes, as Kafka does.
   */
  private unsupportedVersion(api: ApiDefinition, header: RequestHeader): WriterOutput {
    if (api.apiKey === ApiVersions.apiKey) {
      return encodeResponse(ApiVersions, 0, header.correlationId, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [{ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: api.maxVersion }],
      });
    }
    const out = this.errorResponse(api, header, ErrorCode.UNSUPPORTED_VERSION);
    if (out === null) {
      throw new CloseConnection(`unsupported ${api.name} version ${header.apiVersion} (we serve ${api.minVersion}-${api.maxVersion})`);
    }
    return out;
  }

  /** A response carrying only a top-level error code, when the schema allows one. */
  private errorResponse(api: ApiDefinition, header: RequestHeader, code: number): WriterOutput | null {
    const schema = api.response;
    const v = header.apiVersion;
    if (!inVersionRange(schema.validVersions, v)) return null;
    const hasError = schema.fields.some((f) => f.name === 'errorCode' && inVersionRange(f.versions, v));
    if (!hasError) return null;
    try {
      return encodeResponse(api, v, header.correlationId, { errorCode: code });
    } catch {
      return null;
    }
  }
}

/** Size prefix + response header + body, as zero-copy chunks. */
export function encodeResponse(api: ApiDefinition, version: number, correlationId: number, body: unknown): WriterOutput {
  const w = new Writer(256);
  w.writeInt32(0); // size, patched below
  encodeResponseHeader(w, correlationId, responseHeaderVersion(api.apiKey, version));
  encodeMessage(api.response, version, body, w);
  const out = w.finish();
  // The first chunk is the scratch buffer starting at the size field (>= 8 bytes written).
  (out.chunks[0] as Buffer).writeInt32BE(out.size - 4, 0);
  return out;
}
