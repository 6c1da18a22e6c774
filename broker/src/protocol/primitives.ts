/**
 * Kafka wire primitives. `Reader` walks a Buffer and throws ProtocolError (never RangeError)
 * on truncation, so malformed input maps to an error response instead of a crash.
 * `Writer` packs small fields into a growable scratch buffer and appends large buffers
 * (record batches) as separate chunks, so records are never copied on the response path.
 */

import { ProtocolError } from './protocol-error.js';

export { ProtocolError };
export { Writer, type WriterOutput } from './writer.js';

const TWO_32 = 4294967296;

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Reserves n bytes and returns their start; the single truncation check. */
  private take(n: number): number {
    const p = this.pos;
    if (n < 0 || p + n > this.end) {
      throw new ProtocolError(`truncated input: need ${n} bytes at ${p}, have ${this.end - p}`);
    }
    this.pos = p + n;
    return p;
  }

  skip(n: number): void {
    this.take(n);
  }

  readBool(): boolean {
    return this.buf[this.take(1)] !== 0;
  }

  readInt8(): number {
    return this.buf.readInt8(this.take(1));
  }

  readInt16(): number {
    return this.buf.readInt16BE(this.take(2));
  }

  readUInt16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  readInt32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  readUInt32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  /** int64 as a JS number: exact within +-2^53, which covers offsets, timestamps and ids. */
  readInt64(): number {
    const p = this.take(8);
    return this.buf.readInt32BE(p) * TWO_32 + this.buf.readUInt32BE(p + 4);
  }

  readFloat64(): number {
    return this.buf.readDoubleBE(this.take(8));
  }

  readUnsignedVarInt(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varint');
      const b = buf[this.pos++] as number;
      if (i === 4 && b > 0x0f) throw new ProtocolError('varint overflows 32 bits');
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ProtocolError('varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint. */
  readVarInt(): number {
    const u = this.readUnsignedVarInt();
    // u < 2^32 so the unsigned shift and xor are exact.
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint, as a JS number (exact within +-2^53). */
  readVarLong(): number {
    const start = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varlong');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        // Up to 7 bytes (< 2^49) the double arithmetic is exact; beyond, redo it in BigInt.
        if (i < 7) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
        return this.bigVarLong(start, this.pos);
      }
      mul *= 128;
    }
    throw new ProtocolError('varlong longer than 10 bytes');
  }

  private bigVarLong(start: number, end: number): number {
    let u = 0n;
    for (let p = end - 1; p >= start; p--) u = (u << 7n) | BigInt((this.buf[p] as number) & 0x7f);
    u &= 0xffffffffffffffffn;
    return Number((u >> 1n) ^ -(u & 1n));
  }

  private readUtf8(len: number): string {
    const p = this.take(len);
    return this.buf.toString('utf8', p, p + len);
  }

  readNullableString(): string | null {
    const len = this.readInt16();
    if (len < 0) return null;
    return this.readUtf8(len);
  }

  readString(): string {
    const s = this.readNullableString();
    if (s === null) throw new ProtocolError('non-nullable string is null');
    return s;
  }

  readCompactNullableString(): string | null {
    const len = this.readUnsignedVarInt() - 1;
    if (len < 0) return null;
    return this.readUtf8(len);
  }

  readCompactString(): string {
    const s = this.readCompactNullableString();
    if (s === null) throw new ProtocolError('non-nullable compact string is null');
    return s;
  }

  /** n raw bytes as a zero-copy view. */
  readRaw(n: number): Buffer {
    const p = this.take(n);
    return this.buf.subarray(p, p + n);
  }

  readNullableBytes(): Buffer | null {
    const len = this.readInt32();
    if (len < 0) return null;
    return this.readRaw(len);
  }

  readBytes(): Buffer {
    const b = this.readNullableBytes();
    if (b === null) throw new ProtocolError('non-nullable bytes are null');
    return b;
  }

  readCompactNullableBytes(): Buffer | null {
    const len = this.readUnsignedVarInt() - 1;
    if (len < 0) return null;
    return this.readRaw(len);
  }

  readCompactBytes(): Buffer {
    const b = this.readCompactNullableBytes();
    if (b === null) throw new ProtocolError('non-nullable compact bytes are null');
    return b;
  }

  /** 16 bytes as 32 lowercase hex chars. */
  readUuid(): string {
    const p = this.take(16);
    return this.buf.toString('hex', p, p + 16);
  }

  /** int32 length (-1 = null) then elements. */
  readNullableArray<T>(readElement: (r: Reader) => T): T[] | null {
    const n = this.readInt32();
    if (n < 0) return null;
    return this.readElements(n, readElement);
  }

  readArray<T>(readElement: (r: Reader) => T): T[] {
    const a = this.readNullableArray(readElement);
    if (a === null) throw new ProtocolError('non-nullable array is null');
    return a;
  }

  /** Unsigned varint length+1 (0 = null) then elements. */
  readCompactNullableArray<T>(readElement: (r: Reader) => T): T[] | null {
    const n = this.readUnsignedVarInt() - 1;
    if (n < 0) return null;
    return this.readElements(n, readElement);
  }

  readCompactArray<T>(readElement: (r: Reader) => T): T[] {
    const a = this.readCompactNullableArray(readElement);
    if (a === null) throw new ProtocolError('non-nullable compact array is null');
    return a;
  }

  private readElements<T>(n: number, readElement: (r: Reader) => T): T[] {
    // Every element takes at least one byte: reject absurd counts before allocating.
    if (n > this.end - this.pos) throw new ProtocolError(`array length ${n} exceeds remaining bytes`);
    const out: T[] = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }
}

/** Bytes an unsigned varint takes. */
export function sizeOfUnsignedVarInt(v: number): number {
  let u = v >>> 0;
  let n = 1;
  while (u > 0x7f) {
    u >>>= 7;
    n++;
  }
  return n;
}

export function sizeOfVarInt(v: number): number {
  return sizeOfUnsignedVarInt(((v << 1) ^ (v >> 31)) >>> 0);
}

export function sizeOfVarLong(v: number): number {
  if (v >= -1073741824 && v <= 1073741823) return sizeOfVarInt(v);
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return Math.min(n, 10);
}
