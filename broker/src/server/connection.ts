/**
 * One client connection: framing, bounded pipelining, ordered zero-copy response writes.
 *
 * Requests are dispatched as they arrive (up to `maxInFlight` at once); responses are
 * written in request order through a ResponseQueue. Reading pauses while too many requests
 * are pending or while the socket's write buffer is full, so neither a pipelining producer
 * nor a slow consumer can grow memory without bound.
 *
 * Exception: requests answered from the cluster-metadata image (Metadata, FindCoordinator,
 * DescribeCluster) are handled only once every earlier response on the connection has been
 * released, as Kafka does (it processes one request per connection at a time). Otherwise a
 * Metadata request pipelined behind a parked acks=all Produce is answered from the image as
 * it was when the request ARRIVED but delivered only when the produce completes (seconds
 * later), after the client already learned newer leadership elsewhere: librdkafka (no
 * leader-epoch checks before 2.1) then moves the partition back to a dead former leader and,
 * through its delegation race, can stay there until messages time out.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WriterOutput } from '../protocol/primitives.js';
// The one storage function the server uses beyond types: recycling fetch read buffers.
import { releaseReadBuffers } from '../storage/read-buffers.js';
import { CloseConnection } from './dispatcher.js';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { ResponseQueue } from './response-queue.js';

/** What a connection needs from the Dispatcher (a seam for tests). */
export interface RequestDispatcher {
  dispatch(frame: Buffer, connectionId: string): Promise<WriterOutput | null>;
}

/** Metadata (3), FindCoordinator (10), DescribeCluster (60): answers are a view of the image. */
const IMAGE_VIEW_APIS: ReadonlySet<number> = new Set([3, 10, 60]);

/**
 * Must this request wait until every earlier response on its connection was released? True
 * for image views, so their answer is never older than what this connection already sent.
 * Pure; `frame` is the request without its size prefix (api key in the first two bytes).
 */
export function handledInOrder(frame: Buffer): boolean {
  return frame.length >= 2 && IMAGE_VIEW_APIS.has(frame.readInt16BE(0));
}

export interface ConnectionOptions {
  readonly maxFrameBytes: number;
  readonly maxInFlight: number;
}

/** Queue marker: close the connection here, after every earlier response was written. */
interface CloseMarker {
  readonly close: string;
}
type Slot = WriterOutput | CloseMarker;

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue = new ResponseQueue<Slot>();
  private writeBlocked = false;
  private closed = false;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  /** In-order requests (handledInOrder) waiting for the queue head to reach them, by seq. */
  private readonly deferred: { readonly seq: number; readonly frame: Buffer }[] = [];

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly dispatcher: RequestDispatcher,
    private readonly logger: Logger,
    private readonly opts: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk);
      this.pump();
    });
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on('error', (err) => {
      this.logger.debug({ connectionId: id, err: err.message }, 'connection error');
    });
    socket.on('close', () => {
      this.closed = true;
      this.wakeIdle();
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Stop reading new requests; resolves once every dispatched request was answered. */
  drain(): Promise<void> {
    this.stopping = true;
    this.socket.pause();
    if (this.queue.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Half-close after pending writes flush; destroy if the peer does not go away. */
  end(): void {
    if (this.closed) return;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  close(reason: string, level: 'warn' | 'debug' = 'warn'): void {
    if (this.closed) return;
    this.logger[level]({ connectionId: this.id, reason }, 'closing connection');
    this.closed = true;
    this.socket.destroy();
    this.wakeIdle();
  }

  private pump(): void {
    while (!this.closed && !this.stopping && !this.writeBlocked && this.queue.pending < this.opts.maxInFlight) {
      let frame: Buffer | null;
      try {
        frame = this.decoder.next();
      } catch (e) {
        if (e instanceof FrameTooLargeError) {
          this.closeInOrder(this.queue.reserve(), e.message);
          return;
        }
        throw e;
      }
      if (frame === null) break;
      this.dispatch(frame);
    }
    if (this.closed || this.stopping) return;
    const saturated = this.writeBlocked || this.queue.pending >= this.opts.maxInFlight;
    if (saturated) this.socket.pause();
    else this.socket.resume();
  }

  private dispatch(frame: Buffer): void {
    const seq = this.queue.reserve();
    if (handledInOrder(frame) && seq !== this.queue.head) {
      // The frame may be a view into a decoder chunk that is reused: keep our own copy.
      this.deferred.push({ seq, frame: Buffer.from(frame) });
      return;
    }
    this.handle(seq, frame);
  }

  /** Run deferred in-order requests whose every predecessor has been released. */
  private runDeferred(): void {
    while (!this.closed) {
      const next = this.deferred[0];
      if (next === undefined || next.seq !== this.queue.head) return;
      this.deferred.shift();
      this.handle(next.seq, next.frame);
    }
  }

  private handle(seq: number, frame: Buffer): void {
    this.dispatcher.dispatch(frame, this.id).then(
      (out) => this.complete(seq, out),
      (err: unknown) => {
        if (!(err instanceof CloseConnection)) this.logger.error({ connectionId: this.id, err }, 'request failed');
        this.closeInOrder(seq, err instanceof CloseConnection ? err.message : 'internal error');
      },
    );
  }

  /**
   * Kafka closes on a bad request; responses to the requests before it still go out first
   * (kafka-python, for one, pipelines a probe behind ApiVersions and needs that answer).
   */
  private closeInOrder(seq: number, reason: string): void {
    this.stopping = true; // read nothing more
    this.socket.pause();
    this.complete(seq, { close: reason });
  }

  private complete(seq: number, out: Slot | null): void {
    if (this.closed) return;
    const ready = this.queue.complete(seq, out);
    if (ready.length > 0) {
      // Corked writes go out as one writev: header bytes and stored record chunks, uncopied.
      this.socket.cork();
      let ok = true;
      let closeReason: string | null = null;
      for (const r of ready) {
        if ('close' in r) {
          closeReason = r.close;
          break;
        }
        const chunks = r.chunks;
        const last = chunks.length - 1;
        for (let i = 0; i < last; i++) ok = this.socket.write(chunks[i] as Buffer);
        // Write callbacks run in order, so the last chunk's means the whole response left
        // for the kernel: pooled fetch buffers may be reused from then on (not after an error).
        if (last >= 0) {
          ok = this.socket.write(chunks[last] as Buffer, (err) => {
            if (err == null) releaseReadBuffers(chunks);
          });
        }
      }
      this.socket.uncork();
      if (closeReason !== null) {
        this.logger.warn({ connectionId: this.id, reason: closeReason }, 'closing connection');
        this.closed = true;
        this.socket.end(); // flushes what was written above
        setTimeout(() => this.socket.destroy(), 1000).unref();
        this.wakeIdle();
        return;
      }
      if (!ok) this.writeBlocked = true;
    }
    this.runDeferred();
    if (this.queue.pending === 0) this.wakeIdle();
    this.pump();
  }

  private wakeIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
