/**
 * KafkaConnection: one TCP connection to one broker.
 *
 * Requests are pipelined: up to `maxInFlight` are written without waiting, and since a Kafka
 * broker answers a connection's requests in order, each response must carry the correlation
 * id of the oldest unanswered request (anything else means the byte stream cannot be trusted,
 * and the connection is closed). Requests beyond the window wait in a bounded local queue.
 *
 * A request that times out while queued is just dropped. One that times out after being
 * written closes the connection (as Kafka's Java client does): every later answer on this
 * connection would queue behind the missing one, so a broker that lost or parked a request
 * would otherwise stall the connection for good. The other in-flight requests then fail with
 * ConnectionClosedError (sent = true) and the next call reconnects. Every failure reaches
 * callers as a rejected promise with a typed error; socket events never throw.
 */
import { connect, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ApiDefinition } from '../protocol/schema-types.js';
import { decodeMessage, encodeMessage } from '../protocol/codec.js';
import { decodeResponseHeader, encodeRequestHeader, responseHeaderVersion } from '../protocol/headers.js';
import { Reader, Writer } from '../protocol/primitives.js';
import { ConnectError, ConnectionClosedError, PeerProtocolError, QueueFullError, RequestTimeoutError } from './errors.js';
import { FrameReader, FrameSizeError } from './frame-reader.js';
import { negotiateApiVersions, type ApiVersionTable } from './version-negotiation.js';

export interface ConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Sent in every request header. */
  readonly clientId?: string | null;
  readonly connectTimeoutMs?: number;
  /** Default per-request timeout. */
  readonly requestTimeoutMs?: number;
  /** Requests written but not yet answered. */
  readonly maxInFlight?: number;
  /** Requests waiting for an in-flight slot; beyond this, request() fails with QueueFullError. */
  readonly maxQueued?: number;
  /** Largest response frame accepted (guards against a garbage size prefix). */
  readonly maxResponseBytes?: number;
  readonly logger?: Logger;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  /** false for requests the broker never answers (Produce with acks=0): resolves once written. */
  readonly expectResponse?: boolean;
  /** Replaces the schema decoder (ApiVersions needs to sniff a v0-shaped error body). */
  readonly decode?: (r: Reader) => unknown;
}

interface Pending {
  readonly api: ApiDefinition;
  readonly version: number;
  readonly correlationId: number;
  readonly frame: Buffer[];
  readonly expectResponse: boolean;
  readonly decode: ((r: Reader) => unknown) | undefined;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  timer: NodeJS.Timeout | null;
  /** Resolved or rejected already. */
  settled: boolean;
}

const DEFAULTS = {
  clientId: 'strand',
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxInFlight: 64,
  maxQueued: 10_000,
  maxResponseBytes: 100 * 1024 * 1024,
} as const;

const MAX_CORRELATION_ID = 0x7fffffff;

export class KafkaConnection {
  readonly address: string;
  private readonly clientId: string | null;
  private readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly logger: Logger | undefined;
  private readonly frames: FrameReader;
  private readonly inFlight: Pending[] = [];
  private readonly queue: Pending[] = [];
  private nextCorrelationId = 0;
  private isClosed = false;
  private readonly closeListeners: Array<(err: Error) => void> = [];
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;
  private versionTable: ApiVersionTable | null = null;
  private negotiating: Promise<ApiVersionTable> | null = null;

  private constructor(
    private readonly socket: Socket,
    opts: ConnectionOptions,
  ) {
    this.address = `${opts.host}:${opts.port}`;
    this.clientId = opts.clientId === undefined ? DEFAULTS.clientId : opts.clientId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? DEFAULTS.maxInFlight);
    this.maxQueued = Math.max(0, opts.maxQueued ?? DEFAULTS.maxQueued);
    this.logger = opts.logger;
    this.frames = new FrameReader(opts.maxResponseBytes ?? DEFAULTS.maxResponseBytes);
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new ConnectionClosedError(this.address, true, `socket error: ${err.message}`, { cause: err })));
    socket.on('close', () => this.fail(new ConnectionClosedError(this.address, true, 'connection closed by peer')));
  }

  /** Opens the TCP connection; rejects with ConnectError. */
  static connect(opts: ConnectionOptions): Promise<KafkaConnection> {
    const address = `${opts.host}:${opts.port}`;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: opts.host, port: opts.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectError(address, `timed out after ${opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs} ms`));
      }, opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectError(address, err.message, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        resolve(new KafkaConnection(socket, opts));
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Requests written and not yet answered. */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /** The table from negotiateVersions(), or null before it ran. */
  get versions(): ApiVersionTable | null {
    return this.versionTable;
  }

  /** Called once when the connection closes, with the reason. */
  onClose(listener: (err: Error) => void): void {
    if (this.isClosed) queueMicrotask(() => listener(new ConnectionClosedError(this.address, false, 'already closed')));
    else this.closeListeners.push(listener);
  }

  /**
   * Sends one request at an explicit version and resolves with the decoded response body.
   * Rejects with ConnectionClosedError, RequestTimeoutError, QueueFullError, PeerProtocolError,
   * or the codec's ProtocolError when `body` cannot be encoded at `version`.
   */
  request<Res = unknown>(api: ApiDefinition, version: number, body: object, opts: RequestOptions = {}): Promise<Res> {
    if (this.isClosed) return Promise.reject(new ConnectionClosedError(this.address, false, 'connection is closed'));
    if (this.inFlight.length >= this.maxInFlight && this.queue.length >= this.maxQueued) {
      return Promise.reject(new QueueFullError(`${this.address}: ${this.queue.length} requests already queued`));
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId >= MAX_CORRELATION_ID ? 0 : correlationId + 1;
    let frame: Buffer[];
    try {
      frame = encodeFrame(api, version, correlationId, this.clientId, body);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Res>((resolve, reject) => {
      const p: Pending = {
        api,
        version,
        correlationId,
        frame,
        expectResponse: opts.expectResponse ?? true,
        decode: opts.decode,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: null,
        settled: false,
      };
      const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
      p.timer = setTimeout(() => this.onTimeout(p, timeoutMs), timeoutMs);
      this.queue.push(p);
      this.pump();
    });
  }

  /** ApiVersions exchange (once per connection; later calls share the result). */
  negotiateVersions(opts: { timeoutMs?: number } = {}): Promise<ApiVersionTable> {
    if (this.versionTable !== null) return Promise.resolve(this.versionTable);
    if (this.negotiating === null) {
      this.negotiating = negotiateApiVersions(this, opts.timeoutMs ?? this.requestTimeoutMs).then(
        (t) => (this.versionTable = t),
        (err: unknown) => {
          this.negotiating = null;
          throw err;
        },
      );
    }
    return this.negotiating;
  }

  /**
   * Closes the connection. With `drainMs` > 0, first waits up to that long for in-flight and
   * queued requests to be answered; whatever is left is rejected with ConnectionClosedError.
   */
  async close(drainMs = 0): Promise<void> {
    if (!this.isClosed && drainMs > 0) {
      const deadline = Date.now() + drainMs;
      while (!this.isClosed && (this.inFlight.some((p) => !p.settled) || this.queue.length > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    this.fail(new ConnectionClosedError(this.address, true, 'connection closed by client'));
    await this.closedPromise;
  }

  private pump(): void {
    while (!this.isClosed && this.queue.length > 0 && this.inFlight.length < this.maxInFlight) {
      const p = this.queue.shift() as Pending;
      if (p.settled) continue; // timed out while queued
      this.socket.cork();
      for (const c of p.frame) this.socket.write(c);
      this.socket.uncork();
      if (p.expectResponse) {
        this.inFlight.push(p);
      } else {
        this.settle(p);
        p.resolve(undefined);
      }
    }
  }

  private onTimeout(p: Pending, timeoutMs: number): void {
    if (p.settled) return;
    p.timer = null;
    const qi = this.queue.indexOf(p);
    if (qi >= 0) this.queue.splice(qi, 1);
    this.settle(p);
    const err = new RequestTimeoutError(this.address, p.api.name, timeoutMs);
    p.reject(err);
    if (qi < 0) this.fail(new ConnectionClosedError(this.address, true, `closed: ${p.api.name} timed out after ${timeoutMs} ms`, { cause: err }));
  }

  private settle(p: Pending): void {
    p.settled = true;
    if (p.timer !== null) clearTimeout(p.timer);
    p.timer = null;
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      const msg = err instanceof FrameSizeError ? err.message : String(err);
      this.fail(new PeerProtocolError(this.address, msg, { cause: err }));
      return;
    }
    for (const frame of frames) {
      if (this.isClosed) return;
      this.onFrame(frame);
    }
    this.pump();
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const head = this.inFlight[0];
    if (head === undefined || head.correlationId !== correlationId) {
      const expected = head === undefined ? 'no request in flight' : `expected ${head.correlationId}`;
      this.fail(new PeerProtocolError(this.address, `response with correlation id ${correlationId}: ${expected}`));
      return;
    }
    this.inFlight.shift();
    this.settle(head);
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(head.api.apiKey, head.version));
      const body = head.decode !== undefined ? head.decode(r) : decodeMessage(head.api.response, head.version, r);
      if (head.decode === undefined && r.remaining !== 0) {
        throw new Error(`${r.remaining} trailing bytes`);
      }
      head.resolve(body);
    } catch (err) {
      // The frame boundary was sound, so the stream stays usable; only this answer is bad.
      const msg = err instanceof Error ? err.message : String(err);
      this.logger?.warn({ address: this.address, api: head.api.name, version: head.version, err: msg }, 'undecodable response');
      head.reject(new PeerProtocolError(this.address, `${head.api.name} v${head.version} response: ${msg}`, { cause: err }));
    }
  }

  /** Closes for good: rejects everything pending with `reason` (or a not-sent variant for queued requests). */
  private fail(reason: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (reason instanceof PeerProtocolError) this.logger?.warn({ address: this.address, err: reason.message }, 'closing connection');
    else this.logger?.debug({ address: this.address, reason: reason.message }, 'connection closed');
    for (const p of this.inFlight.splice(0)) {
      if (p.settled) continue;
      this.settle(p);
      p.reject(reason);
    }
    for (const p of this.queue.splice(0)) {
      if (p.settled) continue;
      this.settle(p);
      p.reject(new ConnectionClosedError(this.address, false, `not sent: ${reason.message}`, { cause: reason }));
    }
    if (this.socket.destroyed) this.markClosed();
    else {
      this.socket.once('close', () => this.markClosed());
      this.socket.destroy();
    }
    for (const l of this.closeListeners.splice(0)) {
      try {
        l(reason);
      } catch (err) {
        this.logger?.error({ err }, 'close listener threw');
      }
    }
  }
}

/** Size prefix + request header + body, as chunks (record data is not copied). */
function encodeFrame(api: ApiDefinition, version: number, correlationId: number, clientId: string | null, body: object): Buffer[] {
  const w = new Writer(256);
  encodeRequestHeader(w, { apiKey: api.apiKey, apiVersion: version, correlationId, clientId });
  encodeMessage(api.request, version, body, w);
  const { chunks, size } = w.finish();
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeInt32BE(size, 0);
  return [prefix, ...chunks];
}
