/**
 * Full RecordBatch v2 encode/decode, records included. Not used on the produce/fetch hot
 * paths (they move whole batches); used by tests, timestamp lookups and internal topics.
 *
 * Record: length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   | keyLength varint (-1 = null) | key | valueLength varint | value
 *   | headerCount varint | (keyLength varint | key utf8 | valueLength varint | value)*
 */
import { crc32c } from '@node-rs/crc32';
import { ProtocolError, Reader, Writer } from '../primitives.js';
import { ErrorCode, KafkaError } from '../errors.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_SIZE,
  LOG_OVERHEAD,
  MAGIC_V2,
  MIN_BATCH_LENGTH,
  OFF_ATTRIBUTES,
  OFF_CRC,
} from './batch-header.js';
import { Compression, compress, compressSync, decompress, type CompressionType } from './compression.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  /** Defaults to the record's index in the batch. */
  offsetDelta?: number;
  /** Defaults to the batch's firstTimestamp (or 0). */
  timestamp?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
}

export interface DecodedRecord {
  offset: number;
  offsetDelta: number;
  /** Effective timestamp: maxTimestamp for LogAppendTime batches. */
  timestamp: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodedBatch {
  baseOffset: number;
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  logAppendTime: boolean;
  transactional: boolean;
  control: boolean;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  records: DecodedRecord[];
}

export interface BuildBatchOptions {
  baseOffset?: number;
  records: RecordInput[];
  compression?: CompressionType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  partitionLeaderEpoch?: number;
  transactional?: boolean;
  control?: boolean;
  logAppendTime?: boolean;
  /** Defaults to the first record's timestamp. */
  firstTimestamp?: number;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number;
}

// ---------------- encode ----------------

function encodeRecord(w: Writer, r: RecordInput, offsetDelta: number, timestampDelta: number): void {
  const body = new Writer(64);
  body.writeInt8(0); // record attributes: unused
  body.writeVarLong(timestampDelta);
  body.writeVarInt(offsetDelta);
  writeVarBytes(body, r.key);
  writeVarBytes(body, r.value);
  const headers = r.headers ?? [];
  body.writeVarInt(headers.length);
  for (const h of headers) {
    writeVarBytes(body, Buffer.from(h.key, 'utf8'));
    writeVarBytes(body, h.value);
  }
  w.writeVarInt(body.size);
  w.writeWriter(body);
}

function writeVarBytes(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.writeVarInt(-1);
    return;
  }
  w.writeVarInt(b.length);
  w.writeRaw(b);
}

interface Prepared {
  body: Buffer;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

function prepareRecords(opts: BuildBatchOptions): Prepared {
  const recs = opts.records;
  const firstTimestamp = opts.firstTimestamp ?? recs[0]?.timestamp ?? 0;
  let maxTs = -1;
  let lastOffsetDelta = -1;
  const w = new Writer(256);
  recs.forEach((r, i) => {
    const ts = r.timestamp ?? firstTimestamp;
    const od = r.offsetDelta ?? i;
    if (ts > maxTs) maxTs = ts;
    if (od > lastOffsetDelta) lastOffsetDelta = od;
    encodeRecord(w, r, od, ts - firstTimestamp);
  });
  return {
    body: w.toBuffer(),
    lastOffsetDelta: Math.max(lastOffsetDelta, 0),
    firstTimestamp,
    maxTimestamp: opts.maxTimestamp ?? (recs.length === 0 ? firstTimestamp : maxTs),
  };
}

function assemble(opts: BuildBatchOptions, p: Prepared, payload: Buffer): Buffer {
  const compression = opts.compression ?? Compression.NONE;
  let attrs = compression & ATTR_COMPRESSION_MASK;
  if (opts.logAppendTime) attrs |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  if (opts.transactional) attrs |= ATTR_TRANSACTIONAL;
  if (opts.control) attrs |= ATTR_CONTROL;
  const w = new Writer(BATCH_HEADER_SIZE + payload.length);
  w.writeInt64(opts.baseOffset ?? 0);
  w.writeInt32(BATCH_HEADER_SIZE - LOG_OVERHEAD + payload.length);
  w.writeInt32(opts.partitionLeaderEpoch ?? -1);
  w.writeInt8(MAGIC_V2);
  w.writeUInt32(0); // CRC, filled below
  w.writeInt16(attrs);
  w.writeInt32(p.lastOffsetDelta);
  w.writeInt64(p.firstTimestamp);
  w.writeInt64(p.maxTimestamp);
  w.writeInt64(opts.producerId ?? -1);
  w.writeInt16(opts.producerEpoch ?? -1);
  w.writeInt32(opts.baseSequence ?? -1);
  w.writeInt32(opts.records.length);
  w.writeRaw(payload);
  const buf = Buffer.from(w.toBuffer()); // own the memory: the Writer's scratch may be larger
  buf.writeUInt32BE(crc32c(buf.subarray(OFF_ATTRIBUTES)), OFF_CRC);
  return buf;
}

/** Builds one RecordBatch v2, compressing with any codec. */
export async function buildBatch(opts: BuildBatchOptions): Promise<Buffer> {
  const p = prepareRecords(opts);
  const payload = await compress(opts.compression ?? Compression.NONE, p.body);
  return assemble(opts, p, payload);
}

/** Synchronous buildBatch for every codec but zstd. */
export function buildBatchSync(opts: BuildBatchOptions): Buffer {
  const p = prepareRecords(opts);
  return assemble(opts, p, compressSync(opts.compression ?? Compression.NONE, p.body));
}

// ---------------- decode ----------------

function readVarBytes(r: Reader): Buffer | null {
  const len = r.readVarInt();
  if (len < 0) return null;
  return r.readRaw(len);
}

function decodeRecord(r: Reader, baseOffset: number, firstTimestamp: number, logAppendTs: number | null): DecodedRecord {
  const len = r.readVarInt();
  if (len < 0 || len > r.remaining) throw new ProtocolError(`record length ${len} out of bounds`);
  const end = r.pos + len;
  const rr = new Reader(r.buf, r.pos, end);
  rr.readInt8(); // attributes
  const timestampDelta = rr.readVarLong();
  const offsetDelta = rr.readVarInt();
  const key = readVarBytes(rr);
  const value = readVarBytes(rr);
  const nHeaders = rr.readVarInt();
  if (nHeaders < 0 || nHeaders > rr.remaining) throw new ProtocolError(`bad header count ${nHeaders}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < nHeaders; i++) {
    const k = readVarBytes(rr);
    if (k === null) throw new ProtocolError('null record header key');
    headers.push({ key: k.toString('utf8'), value: readVarBytes(rr) });
  }
  if (rr.remaining !== 0) throw new ProtocolError('record has trailing bytes');
  r.pos = end;
  return {
    offset: baseOffset + offsetDelta,
    offsetDelta,
    timestamp: logAppendTs ?? firstTimestamp + timestampDelta,
    timestampDelta,
    key,
    value,
    headers,
  };
}

/** Decodes the batch at `pos`, records included. Throws KafkaError(CORRUPT_MESSAGE) on bad input. */
export async function decodeBatch(buf: Buffer, pos = 0): Promise<DecodedBatch> {
  try {
    const r = new Reader(buf, pos);
    const baseOffset = r.readInt64();
    const batchLength = r.readInt32();
    if (batchLength < MIN_BATCH_LENGTH || batchLength > r.remaining) {
      throw new ProtocolError(`bad batch length ${batchLength}`);
    }
    const size = LOG_OVERHEAD + batchLength;
    const partitionLeaderEpoch = r.readInt32();
    const magic = r.readInt8();
    if (magic !== MAGIC_V2) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `magic ${magic} is not supported`);
    }
    const crc = r.readUInt32();
    const attributes = r.readInt16();
    const lastOffsetDelta = r.readInt32();
    const firstTimestamp = r.readInt64();
    const maxTimestamp = r.readInt64();
    const producerId = r.readInt64();
    const producerEpoch = r.readInt16();
    const baseSequence = r.readInt32();
    const recordCount = r.readInt32();
    const compression = attributes & ATTR_COMPRESSION_MASK;
    const logAppendTime = (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    const payload = buf.subarray(pos + BATCH_HEADER_SIZE, pos + size);
    const plain = await decompress(compression, payload);
    const rr = new Reader(plain);
    if (recordCount < 0 || recordCount > plain.length) throw new ProtocolError(`bad record count ${recordCount}`);
    const records: DecodedRecord[] = [];
    const lat = logAppendTime ? maxTimestamp : null;
    for (let i = 0; i < recordCount; i++) records.push(decodeRecord(rr, baseOffset, firstTimestamp, lat));
    if (rr.remaining !== 0) throw new ProtocolError('batch has bytes after its last record');
    return {
      baseOffset,
      size,
      partitionLeaderEpoch,
      magic,
      crc,
      attributes,
      compression,
      logAppendTime,
      transactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
      control: (attributes & ATTR_CONTROL) !== 0,
      lastOffsetDelta,
      firstTimestamp,
      maxTimestamp,
      producerId,
      producerEpoch,
      baseSequence,
      recordCount,
      records,
    };
  } catch (err) {
    if (err instanceof KafkaError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `cannot decode batch at ${pos}: ${msg}`);
  }
}

/** Decodes every batch in a buffer of whole batches. */
export async function decodeBatches(buf: Buffer): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const b = await decodeBatch(buf, pos);
    out.push(b);
    pos += b.size;
  }
  return out;
}
