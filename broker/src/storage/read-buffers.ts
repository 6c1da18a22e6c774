/**
 * Recycled read buffers for the fetch path.
 *
 * A fetch answer is megabytes per partition. Reading each into a fresh buffer costs a page
 * fault per 4 KiB page (the allocator hands back new zeroed memory for large blocks) and GC
 * pressure from the external memory; on the fetch path that was about as expensive as the
 * read itself. A pooled read borrows a buffer here instead; the connection gives it back
 * once the socket has written it (the write callback: the kernel holds the bytes by then),
 * and the next read reuses the same, already-mapped pages.
 *
 * Ownership rules, which keep recycling safe:
 * - only buffers handed out by `borrowReadBuffer` and not yet given back are ever recycled;
 *   `releaseReadBuffers` ignores any other buffer, and a second release of one is a no-op;
 * - a borrowed buffer that is never released (a long-poll's discarded first read, a
 *   connection closed before writing) is simply garbage-collected;
 * - only callers that hand the bytes to exactly one socket write and keep nothing may ask
 *   for pooled reads (the Fetch handler). Readers that keep slices (offsets loading,
 *   producer-state scan) use ordinary reads.
 */

const MIN_POOLED = 64 * 1024;
const MAX_POOLED = 64 * 1024 * 1024;
/** Idle buffers kept for reuse, in bytes; beyond this, released buffers are left to the GC. */
const MAX_IDLE_BYTES = 256 * 1024 * 1024;

/** Idle buffers by capacity (powers of two), most recently released last (warmest pages). */
const idle = new Map<number, Buffer[]>();
let idleBytes = 0;
/** Backing stores currently lent out. */
const lent = new WeakSet<ArrayBuffer>();

function capacityFor(n: number): number {
  let c = MIN_POOLED;
  while (c < n) c *= 2;
  return c;
}

/**
 * A buffer of exactly `n` bytes (a view of a pooled backing store when n is in the pooled
 * range). Its contents are undefined.
 */
export function borrowReadBuffer(n: number): Buffer {
  if (n < MIN_POOLED || n > MAX_POOLED) return Buffer.allocUnsafe(n);
  const cap = capacityFor(n);
  const list = idle.get(cap);
  let whole = list?.pop();
  if (whole !== undefined) idleBytes -= cap;
  // allocUnsafeSlow: a backing store of its own, never a slice of Node's shared pool.
  else whole = Buffer.allocUnsafeSlow(cap);
  const ab = whole.buffer;
  if (ab instanceof ArrayBuffer) lent.add(ab); // always, for allocUnsafeSlow; narrows the type

  return whole.subarray(0, n);
}

/** Give back a borrowed buffer that was not used (no view of it escaped). */
export function returnReadBuffer(b: Buffer): void {
  releaseOne(b);
}

/**
 * After a socket wrote these chunks: recycle those that are views of borrowed buffers.
 * Other chunks are ignored.
 */
export function releaseReadBuffers(chunks: readonly Buffer[]): void {
  for (let i = 0; i < chunks.length; i++) releaseOne(chunks[i] as Buffer);
}

function releaseOne(b: Buffer): void {
  const ab = b.buffer;
  if (!(ab instanceof ArrayBuffer) || !lent.delete(ab)) return;
  const cap = ab.byteLength;
  if (idleBytes + cap > MAX_IDLE_BYTES) return;
  let list = idle.get(cap);
  if (list === undefined) {
    list = [];
    idle.set(cap, list);
  }
  list.push(Buffer.from(ab, 0, cap));
  idleBytes += cap;
}

/** Idle pooled bytes (tests, metrics). */
export function idleReadBufferBytes(): number {
  return idleBytes;
}
