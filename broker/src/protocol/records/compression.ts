/**
 * RecordBatch compression codecs (attribute bits 0-2): gzip, snappy, lz4, zstd.
 *
 * - snappy: Java clients (and kafkajs-snappy) write the xerial framing
 *   (magic "\x82SNAPPY\0", two int32 versions, then int32-length-prefixed raw blocks);
 *   librdkafka writes raw snappy. We decode both and encode xerial, which all of them read.
 * - lz4: Kafka uses the standard LZ4 *frame* format (not raw blocks).
 * - zstd: only an async API is available.
 */
import { gunzipSync, gzipSync, gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import snappy from 'snappy';
import lz4 from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { ErrorCode, KafkaError } from '../errors.js';

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionType = (typeof Compression)[keyof typeof Compression];

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK = 32 * 1024;

export function isCompressionType(n: number): n is CompressionType {
  return n >= 0 && n <= 4 && Number.isInteger(n);
}

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function snappyUncompressRaw(block: Buffer): Buffer {
  const out = snappy.uncompressSync(block, { asBuffer: true });
  return typeof out === 'string' ? Buffer.from(out) : out;
}

function snappyDecompress(data: Buffer): Buffer {
  if (!isXerial(data)) return snappyUncompressRaw(data);
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'truncated xerial snappy block');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'truncated xerial snappy block');
    }
    parts.push(snappyUncompressRaw(data.subarray(pos, pos + len)));
    pos += len;
  }
  return Buffer.concat(parts);
}

function snappyCompressXerial(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  const parts: Buffer[] = [header];
  for (let off = 0; off < data.length || off === 0; off += XERIAL_BLOCK) {
    const block = snappy.compressSync(data.subarray(off, Math.min(off + XERIAL_BLOCK, data.length)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

function corrupt(type: number, err: unknown): KafkaError {
  const msg = err instanceof Error ? err.message : String(err);
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress codec ${type}: ${msg}`);
}

function unsupported(type: number): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${type}`);
}

/** Synchronous codecs (all but zstd). */
export function compressSync(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case Compression.NONE:
      return data;
    case Compression.GZIP:
      return gzipSync(data);
    case Compression.SNAPPY:
      return snappyCompressXerial(data);
    case Compression.LZ4:
      return lz4.compressFrameSync(data);
    case Compression.ZSTD:
      throw new Error('zstd has no synchronous encoder; use compress()');
    default:
      throw unsupported(type);
  }
}

export function decompressSync(type: number, data: Buffer): Buffer {
  try {
    switch (type) {
      case Compression.NONE:
        return data;
      case Compression.GZIP:
        return gunzipSync(data);
      case Compression.SNAPPY:
        return snappyDecompress(data);
      case Compression.LZ4:
        return lz4.decompressFrameSync(data);
      case Compression.ZSTD:
        throw new Error('zstd has no synchronous decoder; use decompress()');
    }
  } catch (err) {
    if (err instanceof KafkaError) throw err;
    throw corrupt(type, err);
  }
  throw unsupported(type);
}

export async function compress(type: CompressionType, data: Buffer): Promise<Buffer> {
  if (type === Compression.ZSTD) return zstdCompress(data, 3);
  if (type === Compression.GZIP) return gzipAsync(data);
  return compressSync(type, data);
}

export async function decompress(type: number, data: Buffer): Promise<Buffer> {
  try {
    if (type === Compression.ZSTD) return await zstdDecompress(data);
    if (type === Compression.GZIP) return await gunzipAsync(data);
  } catch (err) {
    throw corrupt(type, err);
  }
  return decompressSync(type, data);
}
