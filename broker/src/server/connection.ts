/**
 * One client connection: framing, bounded pipelining, ordered zero-copy response writes.
 *
 * Requests are dispatched as they arrive (up to `maxInFlight` at once); responses are
 * written in request order through a ResponseQueue. Reading pauses while too many requests
 * are pending or while the socket's write buffer is full, so neither a pipelining producer
 * nor a slow consumer can grow memory without bound.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WriterOutput } from '../protocol/primitives.js';
// The one storage function the server uses beyond types: recycling fetch read buffers.
import { releaseReadBuffers } from '../storage/read-buffers.js';
import { CloseConnection, type Dispatcher } from './dispatcher.js';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import { ResponseQueue } from './response-queue.js';

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

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
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
    if (this.queue.pending === 0) this.wakeIdle();
    this.pump();
  }

  private wakeIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
