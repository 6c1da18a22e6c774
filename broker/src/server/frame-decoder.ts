/**
 * Kafka framing: every request is an int32 size followed by that many bytes. Socket chunks
 * are collected until a whole frame is present; a frame inside one chunk is returned as a
 * zero-copy slice, a frame spanning chunks is joined once (the only copy on the request path).
 */

export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly max: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds socket.request.max.bytes ${max}`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame's payload (size prefix stripped), or null. Throws FrameTooLargeError. */
  next(): Buffer | null {
    if (this.buffered < 4) return null;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    if (this.buffered < 4 + size) return null;
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4 + size) {
      const frame = first.subarray(4, 4 + size);
      this.consume(4 + size);
      return frame;
    }
    this.consume(4);
    const frame = this.take(size);
    return frame;
  }

  private peekSize(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.alloc(4);
    let n = 0;
    for (const c of this.chunks) {
      n += c.copy(head, n, 0, Math.min(c.length, 4 - n));
      if (n === 4) break;
    }
    return head.readInt32BE(0);
  }

  /** Drop n bytes from the front. */
  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const c = this.chunks[0] as Buffer;
      if (c.length <= n) {
        this.chunks.shift();
        n -= c.length;
      } else {
        this.chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }

  /** Remove and return n bytes from the front, joined into one Buffer. */
  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0] as Buffer;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
