/**
 * Response framing: int32 size, then that many bytes. Once a frame's size is known its
 * buffer is allocated once and socket chunks are copied into it, so a large Fetch response
 * costs one copy however many chunks it arrives in (and none when it fits one chunk); record
 * data decoded from it are then views of that buffer, never copied again.
 */

export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
  constructor(
    readonly size: number,
    readonly max: number,
  ) {
    super(size < 4 ? `invalid response frame size ${size}` : `response frame of ${size} bytes exceeds the ${max}-byte limit`);
  }
}

export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The frame being filled (size known), and how much of it is filled. */
  private frame: Buffer | null = null;
  private filled = 0;

  /** @param maxFrameBytes the largest frame accepted (a guard against garbage sizes). */
  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds a socket chunk; returns every frame it completes. Throws FrameSizeError. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let buf = chunk;
    while (buf.length > 0) {
      if (this.frame !== null) {
        const n = Math.min(buf.length, this.frame.length - this.filled);
        buf.copy(this.frame, this.filled, 0, n);
        this.filled += n;
        buf = buf.subarray(n);
        if (this.filled === this.frame.length) {
          out.push(this.frame);
          this.frame = null;
        }
        continue;
      }
      // Need the 4-byte size; it may straddle chunks.
      if (this.pendingBytes + buf.length < 4) {
        this.pending.push(buf);
        this.pendingBytes += buf.length;
        break;
      }
      let head = buf;
      if (this.pendingBytes > 0) {
        head = Buffer.concat([...this.pending, buf]);
        this.pending = [];
        this.pendingBytes = 0;
      }
      const size = head.readInt32BE(0);
      // A response is at least a correlation id.
      if (size < 4 || size > this.maxFrameBytes) throw new FrameSizeError(size, this.maxFrameBytes);
      const body = head.subarray(4);
      if (body.length >= size) {
        out.push(body.subarray(0, size)); // zero-copy: the frame lies inside one chunk
        buf = body.subarray(size);
      } else {
        this.frame = Buffer.allocUnsafe(size);
        this.filled = 0;
        buf = body;
      }
    }
    return out;
  }
}
