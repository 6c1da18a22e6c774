/**
 * Pieces the benchmark scripts share: the producer input files and the kcat producer
 * settings, so the single-broker and cluster figures are measured the same way.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/** A file of `count` newline-delimited values of exactly `size` bytes (no newlines inside). */
export async function makeInput(dir, count, size) {
  const path = join(dir, `input-${size}-${count}.txt`);
  const ws = createWriteStream(path);
  // A pool of pseudo-random printable bytes; each value is a window into it (cheap to build,
  // not trivially compressible).
  const alphabet = Buffer.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');
  const pool = randomBytes(1 << 20);
  for (let i = 0; i < pool.length; i++) pool[i] = alphabet[pool[i] % alphabet.length];
  const perChunk = Math.max(1, Math.floor((4 << 20) / (size + 1)));
  for (let i = 0; i < count; i += perChunk) {
    const n = Math.min(perChunk, count - i);
    const chunk = Buffer.allocUnsafe(n * (size + 1));
    for (let j = 0; j < n; j++) {
      const start = ((i + j) * 7919) % (pool.length - size);
      pool.copy(chunk, j * (size + 1), start, start + size);
      chunk[j * (size + 1) + size] = 0x0a;
    }
    if (!ws.write(chunk)) await new Promise((r) => ws.once('drain', r));
  }
  await new Promise((r) => ws.end(r));
  return path;
}

/** kcat producer settings for real batching (1 MB batches, 5 ms linger). */
export const KCAT_PRODUCER_TUNING = [
  '-X', 'linger.ms=5',
  '-X', 'batch.size=1000000',
  '-X', 'batch.num.messages=100000',
  '-X', 'queue.buffering.max.messages=1000000',
  '-X', 'queue.buffering.max.kbytes=1048576',
  '-X', 'compression.codec=none',
];
