#!/usr/bin/env node
/**
 * "Raw protocol" load clients: they measure what the broker can serve, without any client
 * library's per-message cost.
 *
 *   produce: pipelines Produce v3 requests, each carrying one pre-built ~1 MiB record batch
 *            (built once with the test wire helpers; the same request bytes are re-sent, the
 *            broker assigns offsets on its own copy), `inFlight` requests outstanding,
 *            round-robin over the topic's partitions. Every response's error code is checked.
 *   consume: iterates Fetch v4 requests with large max_bytes over the partitions, split into
 *            `lanes` connections fetching concurrently. Only batch headers are read (to find
 *            the next offset and count records); records are never decoded, and response
 *            frames are never joined (a cursor walks the socket chunks).
 *
 * CLI (used by bench/run.mjs so each run is its own process, killable at its time cap):
 *   node bench/raw-clients.mjs produce '{"host","port","topic","partitions","recordSize","acks",...}'
 *   node bench/raw-clients.mjs consume '{"host","port","topic","partitions","recordSize",...}'
 * Prints one JSON line: {records, payloadBytes, wireBytes, ms, requests}.
 */
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wire = await import(join(root, 'dist', 'test', 'helpers', 'wire.js'));

const API_FETCH = 1;
/** Kafka's default max.message.bytes is 1048588: one batch per request stays below it. */
const TARGET_BATCH_BYTES = 1_000_000;

/** Records of `size` bytes of printable, not trivially compressible data. */
function buildBatch(recordSize) {
  const perRecordOverhead = 12;
  const n = Math.max(1, Math.floor(TARGET_BATCH_BYTES / (recordSize + perRecordOverhead)));
  const records = [];
  for (let i = 0; i < n; i++) {
    const v = Buffer.allocUnsafe(recordSize);
    for (let j = 0; j < recordSize; j++) v[j] = 97 + ((i * 31 + j * 7) % 26);
    records.push({ key: null, value: v });
  }
  return { batch: wire.recordBatch(records, Date.now()), records: n };
}

function openSocket(host, port) {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Collects size-prefixed response frames as chunk lists (no joining). `onFrame(chunks, size)`
 * receives the payload (after the size prefix) as a list of buffers.
 */
function frameReader(socket, onFrame) {
  let chunks = [];
  let buffered = 0;
  let need = -1;
  socket.on('data', (b) => {
    chunks.push(b);
    buffered += b.length;
    for (;;) {
      if (need < 0) {
        if (buffered < 4) return;
        const head = readAt(chunks, 0, 4);
        need = head.readInt32BE(0);
        dropFront(4);
      }
      if (buffered < need) return;
      // Split the chunk list at `need` bytes: the frame, and what follows it.
      const frame = [];
      let left = need;
      while (left > 0) {
        const c = chunks[0];
        if (c.length <= left) {
          frame.push(c);
          chunks.shift();
          left -= c.length;
        } else {
          frame.push(c.subarray(0, left));
          chunks[0] = c.subarray(left);
          left = 0;
        }
      }
      buffered -= need;
      const size = need;
      need = -1;
      onFrame(frame, size);
    }
  });
  function dropFront(n) {
    buffered -= n;
    while (n > 0) {
      const c = chunks[0];
      if (c.length <= n) {
        chunks.shift();
        n -= c.length;
      } else {
        chunks[0] = c.subarray(n);
        n = 0;
      }
    }
  }
  return () => {
    chunks = [];
    buffered = 0;
  };
}

/** `n` bytes at absolute position `pos` of a chunk list (a view when inside one chunk). */
function readAt(chunks, pos, n) {
  let base = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    if (pos < base + c.length) {
      const off = pos - base;
      if (off + n <= c.length) return c.subarray(off, off + n);
      const out = Buffer.allocUnsafe(n);
      let got = 0;
      for (let j = i; j < chunks.length && got < n; j++) {
        const cj = chunks[j];
        const from = j === i ? off : 0;
        got += cj.copy(out, got, from, Math.min(cj.length, from + n - got));
      }
      return out;
    }
    base += c.length;
  }
  throw new Error(`read past end of frame at ${pos}`);
}

/**
 * Drives a parser generator over a byte stream without keeping the stream: the generator
 * yields n > 0 for "the next n bytes" (a view, valid until its next yield) or -n for "skip n
 * bytes". Skipped bytes (the records) are never copied; only requested fields spanning two
 * socket reads are assembled in a small scratch buffer.
 */
function streamParser(gen) {
  let want = gen.next().value;
  const scratch = Buffer.allocUnsafe(256);
  let have = 0;
  return (buf) => {
    let off = 0;
    const len = buf.length;
    while (off < len) {
      if (want < 0) {
        const k = Math.min(-want, len - off);
        off += k;
        want += k;
        if (want === 0) want = gen.next().value;
      } else if (have === 0 && len - off >= want) {
        const v = buf.subarray(off, off + want);
        off += want;
        want = gen.next(v).value;
      } else {
        const k = Math.min(want - have, len - off);
        buf.copy(scratch, have, off, off + k);
        have += k;
        off += k;
        if (have === want) {
          have = 0;
          want = gen.next(scratch.subarray(0, want)).value;
        }
      }
    }
  };
}

export async function rawProduce(opts) {
  const { host, port, topic, recordSize, acks = 1, inFlight = 8, maxBytes = 2e9, maxMs = 6000, timeoutMs = 30_000 } = opts;
  const partitions = opts.partitions ?? 1;
  const { batch, records: perBatch } = buildBatch(recordSize);
  const frames = [];
  for (let p = 0; p < partitions; p++) {
    frames.push(wire.requestFrame(0, 3, p, wire.produceV3Body(topic, p, batch, acks, timeoutMs), 'raw-bench'));
  }
  const totalRequests = Math.max(1, Math.floor(maxBytes / batch.length));
  const socket = await openSocket(host, port);
  let sent = 0;
  let acked = 0;
  let errors = 0;
  let firstError = null;
  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + maxMs;
  let blocked = false;
  const result = await new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${acked}/${sent} responses`)));
    const pump = () => {
      // Write while the socket buffer accepts; the kernel and the broker's own in-flight cap
      // bound how much is outstanding beyond that.
      while (!blocked && sent - acked < inFlight && sent < totalRequests && Date.now() < deadline) {
        const frame = frames[sent % frames.length];
        sent++;
        if (!socket.write(frame)) {
          blocked = true;
          socket.once('drain', () => {
            blocked = false;
            pump();
          });
        }
      }
    };
    frameReader(socket, (chunks) => {
      const payload = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const res = wire.parseProduceV3Response(payload);
      for (const r of res.results) {
        if (r.errorCode !== 0) {
          errors++;
          firstError ??= `partition ${r.partition}: error ${r.errorCode}`;
        }
      }
      acked++;
      if (acked === sent && (sent >= totalRequests || Date.now() >= deadline)) {
        resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6 });
        return;
      }
      pump();
    });
    pump();
  });
  socket.removeAllListeners('close');
  socket.destroy();
  const ok = acked - errors;
  return {
    requests: acked,
    errors,
    firstError,
    records: ok * perBatch,
    payloadBytes: ok * perBatch * recordSize,
    wireBytes: ok * batch.length,
    ms: result.ms,
  };
}

function fetchV4Frame(correlationId, topic, parts, offsets, maxBytes, partitionMaxBytes) {
  const w = new wire.Writer()
    .int32(-1) // replica_id: a consumer
    .int32(100) // max_wait_ms
    .int32(1) // min_bytes
    .int32(maxBytes)
    .int8(0) // read_uncommitted
    .int32(1)
    .string(topic)
    .int32(parts.length);
  for (const p of parts) w.int32(p).int64(offsets.get(p)).int32(partitionMaxBytes);
  return wire.requestFrame(API_FETCH, 4, correlationId, w.build(), 'raw-bench');
}

/**
 * Reads every partition from offset 0 to its high watermark (as of the first response),
 * counting batch bytes and records from batch headers only.
 */
export async function rawConsume(opts) {
  const { host, port, topic, recordSize, lanes = 2, maxBytes = 32 << 20, partitionMaxBytes = 16 << 20, maxMs = 10_000 } = opts;
  const partitions = opts.partitions ?? 1;
  const laneParts = Array.from({ length: lanes }, () => []);
  for (let p = 0; p < partitions; p++) laneParts[p % lanes].push(p);
  let records = 0;
  let wireBytes = 0;
  let requests = 0;
  const deadline = Date.now() + maxMs;
  const t0 = process.hrtime.bigint();

  async function lane(parts) {
    if (parts.length === 0) return;
    const offsets = new Map(parts.map((p) => [p, 0]));
    const ends = new Map();
    let correlationId = 0;
    let socket = null;
    let resolveLane;
    let rejectLane;
    const done = new Promise((resolve, reject) => {
      resolveLane = resolve;
      rejectLane = reject;
    });
    const send = () => {
      const active = parts.filter((p) => !ends.has(p) || offsets.get(p) < ends.get(p));
      if (active.length === 0 || Date.now() >= deadline) {
        resolveLane();
        return;
      }
      requests++;
      socket.write(fetchV4Frame(correlationId++, topic, active, offsets, maxBytes, partitionMaxBytes));
    };
    /** Fetch v4 responses, batch headers only: base offset (0), length (8), last offset delta (23), record count (57). */
    function* responses() {
      for (;;) {
        yield 4; // frame size
        const nTopics = (yield 12).readInt32BE(8); // correlation id, throttle, topic count
        for (let t = 0; t < nTopics; t++) {
          const nameLen = (yield 2).readInt16BE(0);
          if (nameLen > 0) yield -nameLen;
          const nParts = (yield 4).readInt32BE(0);
          for (let i = 0; i < nParts; i++) {
            const h = yield 26; // partition, error, hw, last stable offset, aborted count
            const p = h.readInt32BE(0);
            const err = h.readInt16BE(4);
            const hw = h.readInt32BE(6) * 4294967296 + h.readUInt32BE(10);
            const nAborted = h.readInt32BE(22);
            if (nAborted > 0) yield -(nAborted * 16);
            if (err !== 0) rejectLane(new Error(`fetch ${topic}-${p}: error ${err}`));
            if (!ends.has(p)) ends.set(p, hw);
            let left = (yield 4).readInt32BE(0);
            while (left >= 61) {
              const b = yield 61;
              left -= 61;
              const size = 12 + b.readInt32BE(8);
              if (size - 61 > left) break; // a partial batch at the end of the budget
              const base = b.readInt32BE(0) * 4294967296 + b.readUInt32BE(4);
              offsets.set(p, base + b.readInt32BE(23) + 1);
              records += b.readInt32BE(57);
              wireBytes += size;
              if (size > 61) yield -(size - 61);
              left -= size - 61;
            }
            if (left > 0) yield -left; // the rest of a partial batch
          }
        }
        send();
      }
    }
    const feed = streamParser(responses());
    // A fixed receive buffer: no per-read allocation; bytes are parsed in place and dropped.
    socket = await new Promise((resolve, reject) => {
      const s = connect({ host, port, onread: { buffer: Buffer.allocUnsafe(1 << 20), callback: (n, buf) => feed(buf.subarray(0, n)) } });
      s.once('connect', () => {
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', reject);
    });
    socket.on('error', (e) => rejectLane(e));
    socket.on('close', () => rejectLane(new Error('connection closed')));
    try {
      send();
      await done;
    } finally {
      socket.removeAllListeners('close');
      socket.destroy();
    }
  }

  await Promise.all(laneParts.map((parts) => lane(parts)));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { requests, records, payloadBytes: records * recordSize, wireBytes, ms };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [mode, json] = process.argv.slice(2);
  const opts = JSON.parse(json ?? '{}');
  const run = mode === 'produce' ? rawProduce : mode === 'consume' ? rawConsume : null;
  if (run === null) {
    process.stderr.write('usage: raw-clients.mjs produce|consume JSON\n');
    process.exit(2);
  }
  try {
    const r = await run(opts);
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  }
}
