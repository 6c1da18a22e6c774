/**
 * Hand-written Kafka wire encoding for tests that talk to the broker over raw sockets
 * (readiness probes, malformed-input tests). Deliberately independent of broker/src so a
 * bug in the broker's codec cannot hide itself.
 */
import { connect, type Socket } from 'node:net';
import { crc32c } from '@node-rs/crc32';

export class Writer {
  private readonly parts: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  /** Zig-zag varint (records). */
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint | number): this {
    const n = BigInt(v);
    let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
    const bytes: number[] = [];
    while (z >= 0x80n) {
      bytes.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    bytes.push(Number(z));
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let x = v >>> 0;
    while (x >= 0x80) {
      bytes.push((x & 0x7f) | 0x80);
      x >>>= 7;
    }
    bytes.push(x);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }
  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  string(): string {
    const n = this.int16();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
}

/** A request frame: int32 size prefix + header v1 (non-flexible) + body. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, clientId: string | null = 'strand-test'): Buffer {
  const payload = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(clientId).raw(body).build();
  return new Writer().int32(payload.length).raw(payload).build();
}

/** A request frame with the flexible header v2 (client id stays a nullable string, then tagged fields). */
export function requestFrameV2(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, clientId: string | null = 'strand-test'): Buffer {
  const payload = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(clientId).uvarint(0).raw(body).build();
  return new Writer().int32(payload.length).raw(payload).build();
}

/** ApiVersions v3 body (flexible): client software name and version, no tags. */
export function apiVersionsV3Body(): Buffer {
  return new Writer().compactString('strand-test').compactString('1.0').uvarint(0).build();
}

/** Metadata v9 body (flexible): topic names, no auto-create, no authorized operations. */
export function metadataV9Body(topics: readonly string[]): Buffer {
  const w = new Writer().uvarint(topics.length + 1);
  for (const t of topics) w.compactString(t).uvarint(0);
  return w.int8(0).int8(0).int8(0).uvarint(0).build();
}

/** Recomputes the CRC32C of a (possibly modified) batch in place; returns it. */
export function fixBatchCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** Wraps an already-built payload (header + body) with its size prefix. */
export function framed(payload: Buffer): Buffer {
  return new Writer().int32(payload.length).raw(payload).build();
}

export const API_PRODUCE = 0;
export const API_METADATA = 3;
export const API_API_VERSIONS = 18;

export interface TestRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: ReadonlyArray<readonly [string, Buffer]>;
}

/** A RecordBatch v2 (uncompressed, CreateTime, no producer id) with a valid CRC32C. */
export function recordBatch(records: readonly TestRecord[], baseTimestamp: number): Buffer {
  const recs: Buffer[] = records.map((r, i) => {
    const w = new Writer().int8(0).varlong(0).varint(i);
    if (r.key === null) w.varint(-1);
    else w.varint(r.key.length).raw(r.key);
    if (r.value === null) w.varint(-1);
    else w.varint(r.value.length).raw(r.value);
    const headers = r.headers ?? [];
    w.varint(headers.length);
    for (const [k, v] of headers) {
      const kb = Buffer.from(k, 'utf8');
      w.varint(kb.length).raw(kb).varint(v.length).raw(v);
    }
    const body = w.build();
    return new Writer().varint(body.length).raw(body).build();
  });
  const afterCrc = new Writer()
    .int16(0) // attributes
    .int32(records.length - 1) // lastOffsetDelta
    .int64(baseTimestamp)
    .int64(baseTimestamp)
    .int64(-1) // producerId
    .int16(-1) // producerEpoch
    .int32(-1) // baseSequence
    .int32(records.length)
    .raw(Buffer.concat(recs))
    .build();
  const crc = crc32c(afterCrc);
  const afterLength = new Writer().int32(-1).int8(2).uint32(crc).raw(afterCrc).build(); // leaderEpoch, magic, crc
  return new Writer().int64(0).int32(afterLength.length).raw(afterLength).build();
}

/** Offset of the CRC field inside a record batch built by recordBatch(). */
export const BATCH_CRC_OFFSET = 17;
/** First byte covered by the CRC (attributes). */
export const BATCH_CRC_COVERS_FROM = 21;

/** Produce v3 request body for one partition. */
export function produceV3Body(topic: string, partition: number, batch: Buffer, acks = -1, timeoutMs = 10_000): Buffer {
  return new Writer()
    .nullableString(null) // transactional_id
    .int16(acks)
    .int32(timeoutMs)
    .int32(1)
    .string(topic)
    .int32(1)
    .int32(partition)
    .bytes(batch)
    .build();
}

export interface ProducePartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

/** Parses a Produce v3 response payload (after the size prefix). */
export function parseProduceV3Response(payload: Buffer): { correlationId: number; results: ProducePartitionResult[] } {
  const r = new Reader(payload);
  const correlationId = r.int32();
  const results: ProducePartitionResult[] = [];
  const nTopics = r.int32();
  for (let t = 0; t < nTopics; t++) {
    const topic = r.string();
    const nParts = r.int32();
    for (let p = 0; p < nParts; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      r.int64(); // log_append_time
      results.push({ topic, partition, errorCode, baseOffset });
    }
  }
  return { correlationId, results };
}

export interface ApiVersionsResult {
  readonly correlationId: number;
  readonly errorCode: number;
  readonly apis: ReadonlyArray<{ apiKey: number; min: number; max: number }>;
}

/** Parses an ApiVersions v0-shaped response (v0 body; also what the broker sends on error 35). */
export function parseApiVersionsV0Response(payload: Buffer): ApiVersionsResult {
  const r = new Reader(payload);
  const correlationId = r.int32();
  const errorCode = r.int16();
  const n = r.int32();
  const apis: Array<{ apiKey: number; min: number; max: number }> = [];
  for (let i = 0; i < n && r.remaining() >= 6; i++) {
    apis.push({ apiKey: r.int16(), min: r.int16(), max: r.int16() });
  }
  return { correlationId, errorCode, apis };
}

export interface MetadataV1Result {
  readonly correlationId: number;
  readonly brokers: ReadonlyArray<{ nodeId: number; host: string; port: number }>;
  readonly controllerId: number;
  readonly topics: ReadonlyArray<{ errorCode: number; name: string; partitions: number; internal: boolean }>;
}

/** Metadata v1 body: null topic list = all topics. */
export function metadataV1Body(topics: readonly string[] | null): Buffer {
  const w = new Writer();
  if (topics === null) return w.int32(-1).build();
  w.int32(topics.length);
  for (const t of topics) w.string(t);
  return w.build();
}

export function parseMetadataV1Response(payload: Buffer): MetadataV1Result {
  const r = new Reader(payload);
  const correlationId = r.int32();
  const brokers: Array<{ nodeId: number; host: string; port: number }> = [];
  const nb = r.int32();
  for (let i = 0; i < nb; i++) {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    r.nullableString(); // rack
    brokers.push({ nodeId, host, port });
  }
  const controllerId = r.int32();
  const topics: Array<{ errorCode: number; name: string; partitions: number; internal: boolean }> = [];
  const nt = r.int32();
  for (let i = 0; i < nt; i++) {
    const errorCode = r.int16();
    const name = r.string();
    const internal = r.int8() !== 0;
    const np = r.int32();
    for (let p = 0; p < np; p++) {
      r.int16(); // error
      r.int32(); // index
      r.int32(); // leader
      const nr = r.int32();
      for (let k = 0; k < nr; k++) r.int32();
      const ni = r.int32();
      for (let k = 0; k < ni; k++) r.int32();
    }
    topics.push({ errorCode, name, partitions: np, internal });
  }
  return { correlationId, brokers, controllerId, topics };
}

export type FrameOrClose = { kind: 'frame'; payload: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

/** A raw TCP connection that reads size-prefixed response frames. */
export class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private closed = false;
  private readonly waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.buffered = this.buffered.length === 0 ? b : Buffer.concat([this.buffered, b]);
      this.wake();
    });
    const onEnd = (): void => {
      this.closed = true;
      this.wake();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawConnection(socket));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(b: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.socket.destroyed) {
        resolve();
        return;
      }
      // Write errors (EPIPE/ECONNRESET when the broker has closed on us) show up as close.
      this.socket.write(b, () => resolve());
    });
  }

  /** Next complete response frame, or 'closed' when the peer closes first, or 'timeout'. */
  async next(timeoutMs = 5000): Promise<FrameOrClose> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (size >= 0 && this.buffered.length >= 4 + size) {
          const payload = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return { kind: 'frame', payload };
        }
      }
      if (this.closed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends one frame and returns the response payload; throws on close/timeout. */
  async roundTrip(frame: Buffer, timeoutMs = 5000): Promise<Buffer> {
    await this.write(frame);
    const r = await this.next(timeoutMs);
    if (r.kind !== 'frame') throw new Error(`expected a response frame, got ${r.kind}`);
    return r.payload;
  }

  /** Half-closes our side (sends FIN). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** ApiVersions v0 round trip on a fresh connection; returns the parsed result. */
export async function apiVersionsProbe(host: string, port: number, timeoutMs = 3000): Promise<ApiVersionsResult> {
  const conn = await RawConnection.open(host, port, timeoutMs);
  try {
    const payload = await conn.roundTrip(requestFrame(API_API_VERSIONS, 0, 4242, Buffer.alloc(0)), timeoutMs);
    const res = parseApiVersionsV0Response(payload);
    if (res.correlationId !== 4242) throw new Error(`ApiVersions correlation id ${res.correlationId} != 4242`);
    return res;
  } finally {
    conn.destroy();
  }
}

/** Metadata v1 round trip on a fresh connection. */
export async function metadataProbe(host: string, port: number, topics: readonly string[] | null = null, timeoutMs = 3000): Promise<MetadataV1Result> {
  const conn = await RawConnection.open(host, port, timeoutMs);
  try {
    const payload = await conn.roundTrip(requestFrame(API_METADATA, 1, 4343, metadataV1Body(topics)), timeoutMs);
    const res = parseMetadataV1Response(payload);
    if (res.correlationId !== 4343) throw new Error(`Metadata correlation id ${res.correlationId} != 4343`);
    return res;
  } finally {
    conn.destroy();
  }
}

/** Deterministic PRNG (mulberry32) for reproducible fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
