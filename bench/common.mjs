/**
 * Pieces the benchmark scripts share: the producer input files, the kcat producer settings
 * and the timed command runner, so the single-broker and cluster figures are measured the
 * same way.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
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

/**
 * Runs a command (tracked in `children` while it runs), kills it at capMs; resolves
 * {code, ms, timedOut, stdoutBytes, stdout, stderr} (stdout is '' unless keepStdout; stderr
 * is the last 4000 characters). stdin is stdinFile, else input, else empty.
 */
export function runTimed(children, cmd, args, { capMs, input, keepStdout = false, stdinFile } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdoutBytes = 0;
    const out = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, capMs);
    child.stdout.on('data', (b) => {
      stdoutBytes += b.length;
      if (keepStdout) out.push(b);
    });
    child.stderr.on('data', (b) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, ms, timedOut, stdoutBytes, stdout: keepStdout ? Buffer.concat(out).toString() : '', stderr });
    });
    child.stdin.on('error', () => {});
    if (stdinFile) createReadStream(stdinFile).pipe(child.stdin);
    else if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}
