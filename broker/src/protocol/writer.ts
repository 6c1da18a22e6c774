/**
 * Writer: packs small fields into a growable scratch buffer and appends large buffers
 * (record batches) as separate chunks, so records are never copied on the response path.
 */
import { ProtocolError } from './protocol-error.js';

const TWO_32 = 4294967296;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
const ZERO_UUID = '00000000000000000000000000000000';
const HEX_RE = /^[0-9a-f]{32}$/;

export interface WriterOutput {
  readonly chunks: Buffer[];
  readonly size: number;
}

export class Writer {
  private scratch: Buffer;
  private pos = 0;
  /** Start of the scratch region not yet handed out as a chunk. */
  private chunkStart = 0;
  private readonly chunks: Buffer[] = [];
  private flushedSize = 0;

  constructor(initialCapacity = 1024) {
    this.scratch = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get size(): number {
    return this.flushedSize + (this.pos - this.chunkStart);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    // Only the unflushed tail moves; flushed chunks keep viewing the old buffer.
    const pending = this.pos - this.chunkStart;
    const next = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, pending + n + 256));
    this.scratch.copy(next, 0, this.chunkStart, this.pos);
    this.scratch = next;
    this.chunkStart = 0;
    this.pos = pending;
  }

  private flushScratch(): void {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.scratch.subarray(this.chunkStart, this.pos));
      this.flushedSize += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
  }

  writeBool(v: boolean): this {
    this.ensure(1);
    this.scratch[this.pos++] = v ? 1 : 0;
    return this;
  }

  writeInt8(v: number): this {
    this.ensure(1);
    this.pos = this.scratch.writeInt8(v, this.pos);
    return this;
  }

  writeInt16(v: number): this {
    this.ensure(2);
    this.pos = this.scratch.writeInt16BE(v, this.pos);
    return this;
  }

  writeUInt16(v: number): this {
    this.ensure(2);
    this.pos = this.scratch.writeUInt16BE(v, this.pos);
    return this;
  }

  writeInt32(v: number): this {
    this.ensure(4);
    this.pos = this.scratch.writeInt32BE(v, this.pos);
    return this;
  }

  writeUInt32(v: number): this {
    this.ensure(4);
    this.pos = this.scratch.writeUInt32BE(v, this.pos);
    return this;
  }

  /** Clamps to the int64 range; numbers beyond 2^53 go through BigInt. */
  writeInt64(v: number | bigint): this {
    this.ensure(8);
    if (typeof v === 'number' && Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      this.scratch.writeInt32BE(hi, this.pos);
      this.scratch.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
      this.pos += 8;
      return this;
    }
    this.pos = this.scratch.writeBigInt64BE(clampInt64(v), this.pos);
    return this;
  }

  writeFloat64(v: number): this {
    this.ensure(8);
    this.pos = this.scratch.writeDoubleBE(v, this.pos);
    return this;
  }

  writeUnsignedVarInt(v: number): this {
    this.ensure(5);
    let u = v >>> 0;
    const buf = this.scratch;
    while (u > 0x7f) {
      buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[this.pos++] = u;
    return this;
  }

  writeVarInt(v: number): this {
    return this.writeUnsignedVarInt(((v << 1) ^ (v >> 31)) >>> 0);
  }

  writeVarLong(v: number | bigint): this {
    if (typeof v === 'number' && v >= -1073741824 && v <= 1073741823 && Number.isInteger(v)) {
      return this.writeVarInt(v);
    }
    const b = clampInt64(v);
    let u = b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
    this.ensure(10);
    while (u > 0x7fn) {
      this.scratch[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.scratch[this.pos++] = Number(u);
    return this;
  }

  private writeUtf8(s: string, len: number): void {
    this.ensure(len);
    this.pos += this.scratch.write(s, this.pos, len, 'utf8');
  }

  writeNullableString(s: string | null): this {
    if (s === null) return this.writeInt16(-1);
    const len = Buffer.byteLength(s, 'utf8');
    if (len > 0x7fff) throw new ProtocolError(`string of ${len} bytes is too long for int16 length`);
    this.writeInt16(len);
    this.writeUtf8(s, len);
    return this;
  }

  writeString(s: string): this {
    return this.writeNullableString(s);
  }

  writeCompactNullableString(s: string | null): this {
    if (s === null) return this.writeUnsignedVarInt(0);
    const len = Buffer.byteLength(s, 'utf8');
    this.writeUnsignedVarInt(len + 1);
    this.writeUtf8(s, len);
    return this;
  }

  writeCompactString(s: string): this {
    return this.writeCompactNullableString(s);
  }

  /** Copies `b` into the scratch buffer (use writeChunk for large buffers). */
  writeRaw(b: Uint8Array): this {
    this.ensure(b.length);
    this.scratch.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Appends `b` as its own output chunk without copying. Small buffers are copied instead. */
  writeChunk(b: Buffer): this {
    if (b.length < 256) return this.writeRaw(b);
    this.flushScratch();
    this.chunks.push(b);
    this.flushedSize += b.length;
    return this;
  }

  writeNullableBytes(b: Buffer | null): this {
    if (b === null) return this.writeInt32(-1);
    this.writeInt32(b.length);
    return this.writeChunk(b);
  }

  writeBytes(b: Buffer): this {
    return this.writeNullableBytes(b);
  }

  writeCompactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.writeUnsignedVarInt(0);
    this.writeUnsignedVarInt(b.length + 1);
    return this.writeChunk(b);
  }

  writeCompactBytes(b: Buffer): this {
    return this.writeCompactNullableBytes(b);
  }

  writeUuid(hex: string): this {
    const s = hex.length === 0 ? ZERO_UUID : hex.toLowerCase();
    if (!HEX_RE.test(s)) throw new ProtocolError(`invalid uuid ${JSON.stringify(hex)}`);
    this.ensure(16);
    this.pos += this.scratch.write(s, this.pos, 16, 'hex');
    return this;
  }

  writeArray<T>(items: readonly T[] | null, writeElement: (w: Writer, item: T) => void): this {
    if (items === null) return this.writeInt32(-1);
    this.writeInt32(items.length);
    for (const it of items) writeElement(this, it);
    return this;
  }

  writeCompactArray<T>(items: readonly T[] | null, writeElement: (w: Writer, item: T) => void): this {
    if (items === null) return this.writeUnsignedVarInt(0);
    this.writeUnsignedVarInt(items.length + 1);
    for (const it of items) writeElement(this, it);
    return this;
  }

  /** Appends everything another writer produced (its chunks are not copied). */
  writeWriter(other: Writer): this {
    const out = other.finish();
    for (const c of out.chunks) this.writeChunk(c);
    return this;
  }

  /**
   * The output as chunks. The Writer may keep being written to afterwards; returned
   * chunks stay valid because scratch space already handed out is never reused.
   */
  finish(): WriterOutput {
    this.flushScratch();
    return { chunks: this.chunks.slice(), size: this.flushedSize };
  }

  toBuffer(): Buffer {
    const { chunks, size } = this.finish();
    if (chunks.length === 1) return chunks[0] as Buffer;
    return Buffer.concat(chunks, size);
  }
}

function clampInt64(v: number | bigint): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (Number.isNaN(v)) b = 0n;
  else if (v >= 9223372036854775807) return INT64_MAX;
  else if (v <= -9223372036854775808) return INT64_MIN;
  else b = BigInt(Math.trunc(v));
  return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
}
