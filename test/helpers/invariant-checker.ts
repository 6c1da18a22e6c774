/**
 * Proving the replication invariants (ARCHITECTURE.md 1, 2, 5, 6) from the outside:
 *
 * - `SequenceProducer` runs test/clients/seq_producer.py (librdkafka, idempotent, acks=all)
 *   and collects every delivery report (partition, offset, seq).
 * - `HwFetchReader` is a consumer made of raw Fetch v4 requests (test/helpers/wire.ts
 *   framing, no client library): it follows partition leaders through Metadata like a real
 *   client and records, for every record it is served, the high watermark of the SAME
 *   response, so "a consumer never sees an offset at or above HW" is checked per response.
 *   It also verifies every batch's CRC32C and notes HW going backwards on one leader.
 * - `checkInvariants` compares the producer's acknowledgements with a final read of the
 *   whole log (and with what the reader saw during the faults) and returns every violation.
 * - `readAllWithKcat` is that final read through a real client (kcat -C -e).
 */
import type { ChildProcess } from 'node:child_process';
import { crc32c } from '@node-rs/crc32';
import { fetchMetadata } from './cluster.js';
import { kcatOk, requirePythonModules, spawnPython, clientScript, tail } from './tools.js';
import { errorText, orTimeout, sleep, waitFor } from './wait.js';
import { RawConnection, Reader, requestFrame, Writer } from './wire.js';

// ---- records and the checker -------------------------------------------------------------

/** An acknowledged record whose offset the client was not told (librdkafka implicit ack). */
export const UNKNOWN_OFFSET = -1;

/** One record as (partition, offset, seq); seq -1 = the value was not "seq-<n>". */
export interface SeqRecord {
  readonly partition: number;
  readonly offset: number;
  readonly seq: number;
}

/** A record a consumer was served, with the high watermark of the response that carried it. */
export interface Observation extends SeqRecord {
  readonly hw: number;
  readonly broker: string;
}

export interface CheckInput {
  /** Delivery reports of acknowledged records. */
  readonly acked: readonly SeqRecord[];
  /** A complete read of every partition, from offset 0 to the end. */
  readonly read: readonly SeqRecord[];
  /** Partitions of the topic (a partition absent from `read` must then be empty). */
  readonly partitions: readonly number[];
  /** Records consumers were served while the faults happened (checked against `read`). */
  readonly observed?: readonly Observation[];
  /** Anomalies the reader saw (OFFSET_OUT_OF_RANGE past acknowledged data, bad CRC, HW decrease). */
  readonly readerAnomalies?: readonly string[];
  /** Every seq below this was produced; a record with another seq is foreign. */
  readonly producedSeqs?: number;
}

const MAX_LISTED = 8;

function listed<T>(xs: readonly T[], fmt: (x: T) => string): string {
  const shown = xs.slice(0, MAX_LISTED).map(fmt).join('; ');
  return xs.length > MAX_LISTED ? `${shown}; ... (${xs.length} in all)` : shown;
}

/**
 * Every violation of: acknowledged records present exactly once at their acknowledged offset;
 * offsets dense from 0 per partition; records of each partition in produce (seq) order; no
 * seq twice anywhere; nothing foreign; no consumer served an offset >= the HW of that
 * response; everything a consumer was served is in the final log at the same offset.
 * Returns [] when all hold.
 */
export function checkInvariants(input: CheckInput): string[] {
  const v: string[] = [];
  const byPartition = new Map<number, SeqRecord[]>();
  for (const p of input.partitions) byPartition.set(p, []);
  for (const r of input.read) {
    const list = byPartition.get(r.partition);
    if (list === undefined) v.push(`read a record of unknown partition ${r.partition}`);
    else list.push(r);
  }
  const logAt = new Map<string, SeqRecord>();
  for (const [p, recs] of byPartition) {
    recs.sort((a, b) => a.offset - b.offset);
    // Invariant 1: dense offsets from 0, each offset once.
    const gaps: string[] = [];
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i] as SeqRecord;
      if (r.offset !== i) {
        gaps.push(`p${p}: position ${i} holds offset ${r.offset}`);
        break;
      }
    }
    v.push(...gaps.map((g) => `offsets not dense from 0: ${g}`));
    // Produce order within the partition.
    for (let i = 1; i < recs.length; i++) {
      const a = recs[i - 1] as SeqRecord;
      const b = recs[i] as SeqRecord;
      if (a.seq >= 0 && b.seq >= 0 && b.seq <= a.seq) {
        v.push(`p${p}: out of produce order: offset ${a.offset} has seq ${a.seq}, offset ${b.offset} has seq ${b.seq}`);
        break;
      }
    }
    for (const r of recs) logAt.set(`${p}:${r.offset}`, r);
  }

  // No seq twice in the whole log (idempotence), nothing foreign.
  const seqWhere = new Map<number, SeqRecord>();
  const dups: Array<[SeqRecord, SeqRecord]> = [];
  const foreign: SeqRecord[] = [];
  for (const r of input.read) {
    if (r.seq < 0 || (input.producedSeqs !== undefined && r.seq >= input.producedSeqs)) {
      foreign.push(r);
      continue;
    }
    const prev = seqWhere.get(r.seq);
    if (prev !== undefined) dups.push([prev, r]);
    else seqWhere.set(r.seq, r);
  }
  if (dups.length > 0) v.push(`records stored twice: ${listed(dups, ([a, b]) => `seq ${a.seq} at p${a.partition}@${a.offset} and p${b.partition}@${b.offset}`)}`);
  if (foreign.length > 0) v.push(`records nobody produced: ${listed(foreign, (r) => `p${r.partition}@${r.offset} seq ${r.seq}`)}`);

  // Invariant 6: every acknowledged record exactly at its acknowledged offset.
  const ackSeen = new Map<number, SeqRecord>();
  const ackDup: SeqRecord[] = [];
  const ackOffsetTwice = new Map<string, SeqRecord>();
  const offsetTwice: Array<[SeqRecord, SeqRecord]> = [];
  for (const a of input.acked) {
    if (ackSeen.has(a.seq)) ackDup.push(a);
    ackSeen.set(a.seq, a);
    if (a.offset === UNKNOWN_OFFSET) continue;
    const k = `${a.partition}:${a.offset}`;
    const other = ackOffsetTwice.get(k);
    if (other !== undefined) offsetTwice.push([other, a]);
    else ackOffsetTwice.set(k, a);
  }
  if (ackDup.length > 0) v.push(`the producer was acknowledged twice for: ${listed(ackDup, (a) => `seq ${a.seq}`)}`);
  if (offsetTwice.length > 0) v.push(`two acknowledged records share an offset: ${listed(offsetTwice, ([a, b]) => `p${a.partition}@${a.offset}: seq ${a.seq} and seq ${b.seq}`)}`);
  const lost: Array<{ a: SeqRecord; got: SeqRecord | undefined }> = [];
  for (const a of input.acked) {
    if (a.offset === UNKNOWN_OFFSET) {
      // An implicit ack names no offset: the record must still be stored (once, checked above) in its partition.
      const at = seqWhere.get(a.seq);
      if (at === undefined || at.partition !== a.partition) lost.push({ a, got: at });
      continue;
    }
    const got = logAt.get(`${a.partition}:${a.offset}`);
    if (got === undefined || got.seq !== a.seq) lost.push({ a, got });
  }
  if (lost.length > 0) {
    v.push(
      `${lost.length} of ${input.acked.length} acknowledged records are not at their acknowledged offset: ` +
        listed(lost, ({ a, got }) => `seq ${a.seq} acked at p${a.partition}@${a.offset}, log has ${got === undefined ? 'nothing' : `seq ${got.seq}`} there${seqWhere.has(a.seq) ? ` (seq ${a.seq} is at p${seqWhere.get(a.seq)?.partition}@${seqWhere.get(a.seq)?.offset})` : ''}`),
    );
  }
  // Acknowledged order = produce order within a partition.
  const ackByPart = new Map<number, SeqRecord[]>();
  for (const a of input.acked) if (a.offset !== UNKNOWN_OFFSET) ackByPart.set(a.partition, [...(ackByPart.get(a.partition) ?? []), a]);
  for (const [p, list] of ackByPart) {
    list.sort((x, y) => x.offset - y.offset);
    for (let i = 1; i < list.length; i++) {
      const x = list[i - 1] as SeqRecord;
      const y = list[i] as SeqRecord;
      if (y.seq <= x.seq) {
        v.push(`p${p}: acknowledged offsets out of produce order: seq ${x.seq}@${x.offset} then seq ${y.seq}@${y.offset}`);
        break;
      }
    }
  }

  // Invariant 2: nothing served at or above the HW of the same response; and what consumers
  // were served is committed, so it must be in the final log unchanged.
  const observed = input.observed ?? [];
  const aboveHw = observed.filter((o) => o.offset >= o.hw);
  if (aboveHw.length > 0) v.push(`consumer served offsets at/above HW: ${listed(aboveHw, (o) => `p${o.partition}@${o.offset} with HW ${o.hw} from ${o.broker}`)}`);
  const vanished = observed.filter((o) => {
    const got = logAt.get(`${o.partition}:${o.offset}`);
    return got === undefined || got.seq !== o.seq;
  });
  if (vanished.length > 0) {
    v.push(
      `records a consumer was served are not in the final log: ${listed(vanished, (o) => {
        const got = logAt.get(`${o.partition}:${o.offset}`);
        return `p${o.partition}@${o.offset} seq ${o.seq} (from ${o.broker}, HW ${o.hw}); final log has ${got === undefined ? 'nothing' : `seq ${got.seq}`}`;
      })}`,
    );
  }
  for (const a of input.readerAnomalies ?? []) v.push(`reader: ${a}`);
  return v;
}

/** Throws with every violation (and `context`, e.g. broker logs) unless checkInvariants passes. */
export function assertInvariants(input: CheckInput, context: () => string = () => ''): void {
  const v = checkInvariants(input);
  if (v.length === 0) return;
  throw new Error(`${v.length} invariant violation(s) (acked ${input.acked.length}, read ${input.read.length}, observed ${input.observed?.length ?? 0}):\n- ${v.join('\n- ')}\n${context()}`);
}

export function seqOfValue(value: string | null): number {
  if (value === null) return -1;
  const m = /^seq-(\d+)$/.exec(value);
  return m === null ? -1 : Number(m[1]);
}

// ---- the producer driver ---------------------------------------------------------------------

export interface ProducerEvent {
  readonly ev: 'ack' | 'err' | 'retry' | 'client_error' | 'done';
  readonly p?: number;
  readonly o?: number | null;
  readonly seq?: number;
  readonly new_seq?: number;
  readonly error?: string;
  readonly code?: number | null;
  readonly retriable?: boolean;
  readonly fatal?: boolean;
  readonly produced?: number;
  readonly undelivered?: number;
}

export interface SequenceProducerArgs {
  readonly bootstrap: string;
  readonly topic: string;
  readonly partitions: number;
  readonly rate?: number;
  readonly acks?: 'all' | '1' | '0';
  readonly idempotent?: boolean;
  readonly message_timeout_ms?: number;
  readonly max_attempts?: number;
  readonly config?: Readonly<Record<string, string | number | boolean>>;
}

export const SEQ_PRODUCER = clientScript('seq_producer.py');

/** test/clients/seq_producer.py as a child process; stop it with finish(). */
export class SequenceProducer {
  readonly acked: SeqRecord[] = [];
  readonly errors: ProducerEvent[] = [];
  readonly clientErrors: ProducerEvent[] = [];
  done: ProducerEvent | null = null;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private partial = '';
  private stderr = '';
  private ackTimes: number[] = [];

  private constructor(args: SequenceProducerArgs) {
    this.child = spawnPython(SEQ_PRODUCER, [JSON.stringify(args)]);
    this.child.stdout?.on('data', (b: Buffer) => this.onData(b));
    this.child.stderr?.on('data', (b: Buffer) => {
      this.stderr = tail(this.stderr + b.toString('utf8'), 20_000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  static start(args: SequenceProducerArgs): SequenceProducer {
    requirePythonModules('confluent_kafka');
    const p = new SequenceProducer(args);
    live.add(p);
    return p;
  }

  private onData(b: Buffer): void {
    const text = this.partial + b.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let e: ProducerEvent;
      try {
        e = JSON.parse(line) as ProducerEvent;
      } catch {
        continue;
      }
      if (e.ev === 'ack' && e.p !== undefined && e.o !== undefined && e.seq !== undefined) {
        // librdkafka's implicit acks: a request that timed out in flight is acknowledged by a
        // later request's success, without an offset (null here). Kept as offset -1.
        this.acked.push({ partition: e.p, offset: e.o === null || e.o < 0 ? UNKNOWN_OFFSET : e.o, seq: e.seq });
        this.ackTimes.push(Date.now());
      } else if (e.ev === 'err') this.errors.push(e);
      else if (e.ev === 'client_error') this.clientErrors.push(e);
      else if (e.ev === 'done') this.done = e;
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Acknowledgements (optionally of one partition) received after `since` (ms epoch). */
  acksSince(since: number, partition?: number): number {
    let n = 0;
    for (let i = this.acked.length - 1; i >= 0; i--) {
      if ((this.ackTimes[i] ?? 0) < since) break;
      if (partition === undefined || this.acked[i]?.partition === partition) n++;
    }
    return n;
  }

  /** Waits for `n` more acknowledgements (on `partition`, or on every partition in `partitions`). */
  async waitForMoreAcks(n: number, opts: { partitions?: readonly number[]; timeoutMs?: number } = {}): Promise<void> {
    const since = Date.now();
    const parts = opts.partitions;
    const perPartition = (): string =>
      parts === undefined ? `${this.acksSince(since)} since the wait began` : parts.map((p) => `p${p}: ${this.acksSince(since, p)}`).join(', ') + ' since the wait began';
    await waitFor(
      `${n} more acknowledgements${parts === undefined ? '' : ` on each of partitions ${parts.join(',')}`} (have ${this.acked.length}; last errors: ${this.errors
        .slice(-3)
        .map((e) => e.error)
        .join(' | ')}; client errors: ${this.clientErrors
        .slice(-3)
        .map((e) => e.error)
        .join(' | ')})`,
      () => {
        if (this.done !== null || this.child.exitCode !== null) throw new Error(`producer exited: ${this.stderrTail()}`);
        return parts === undefined ? this.acksSince(since) >= n : parts.every((p) => this.acksSince(since, p) >= n);
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 25 },
    ).catch((err: unknown) => {
      throw new Error(`${errorText(err)} [acks: ${perPartition()}]`);
    });
  }

  fatalErrors(): ProducerEvent[] {
    return [...this.errors, ...this.clientErrors].filter((e) => e.fatal === true);
  }

  /** Delivery errors that are neither retriable nor a message timeout. */
  nonRetriableErrors(): ProducerEvent[] {
    return this.errors.filter((e) => e.retriable !== true && !/_MSG_TIMED_OUT/.test(e.error ?? ''));
  }

  /** Closes stdin (the driver flushes and prints "done") and waits for exit 0. */
  async finish(timeoutMs = 90_000): Promise<ProducerEvent> {
    this.child.stdin?.end();
    const code = await orTimeout(this.exited, timeoutMs);
    live.delete(this);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`seq_producer did not finish within ${timeoutMs} ms; stderr:\n${this.stderrTail()}`);
    }
    if (code !== 0 || this.done === null) throw new Error(`seq_producer exited ${code} (done=${JSON.stringify(this.done)}); stderr:\n${this.stderrTail()}`);
    return this.done;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    live.delete(this);
  }

  stderrTail(): string {
    return tail(this.stderr, 3000);
  }

  summary(): string {
    return `producer: ${this.acked.length} acked, ${this.errors.length} delivery errors (${listed(this.errors, (e) => `seq ${e.seq}: ${e.error}`)}), client errors: ${listed(this.clientErrors, (e) => e.error ?? '')}`;
  }
}

const live = new Set<SequenceProducer>();

/** Kills every producer started by this module (afterEach/afterAll). */
export function killProducers(): void {
  for (const p of live) p.kill();
  live.clear();
}

process.on('exit', () => {
  for (const p of live) p.kill();
});

// ---- the raw Fetch reader --------------------------------------------------------------------

const API_FETCH = 1;
/** Errors a client retries after refreshing metadata. */
const RETRIABLE_FETCH_ERRORS = new Map<number, string>([
  [3, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [5, 'LEADER_NOT_AVAILABLE'],
  [6, 'NOT_LEADER_OR_FOLLOWER'],
  [9, 'REPLICA_NOT_AVAILABLE'],
  [56, 'KAFKA_STORAGE_ERROR'],
  [74, 'FENCED_LEADER_EPOCH'],
  [75, 'UNKNOWN_LEADER_EPOCH'],
  [78, 'OFFSET_NOT_AVAILABLE'],
]);
const OFFSET_OUT_OF_RANGE = 1;

interface PartitionCursor {
  readonly partition: number;
  position: number;
  /** HW of the last successful response. */
  hw: number;
  leader: string | null;
  /** Broker and HW of the last successful response, for the HW-never-decreases check. */
  lastFrom: string | null;
  lastHw: number;
  outOfRange: number;
}

function uvarint(r: Reader): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    const b = r.buf.readUInt8(r.pos);
    r.pos += 1;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
  throw new Error('varint too long');
}

function varint(r: Reader): number {
  const u = uvarint(r);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

function varlong(r: Reader): void {
  for (let i = 0; i < 10; i++) {
    const b = r.buf.readUInt8(r.pos);
    r.pos += 1;
    if ((b & 0x80) === 0) return;
  }
  throw new Error('varlong too long');
}

/** Records (offset, value) in a Fetch records blob; partial trailing batches are ignored. */
export function decodeBatches(blob: Buffer): { records: Array<{ offset: number; value: string | null }>; anomalies: string[] } {
  const records: Array<{ offset: number; value: string | null }> = [];
  const anomalies: string[] = [];
  let pos = 0;
  while (blob.length - pos >= 12 + 49) {
    const baseOffset = Number(blob.readBigInt64BE(pos));
    const batchLength = blob.readInt32BE(pos + 8);
    if (batchLength <= 0 || pos + 12 + batchLength > blob.length) break; // partial batch at the end
    const batch = blob.subarray(pos, pos + 12 + batchLength);
    pos += 12 + batchLength;
    const magic = batch.readInt8(16);
    if (magic !== 2) {
      anomalies.push(`batch at ${baseOffset} has magic ${magic}`);
      continue;
    }
    const crc = batch.readUInt32BE(17);
    if (crc32c(batch.subarray(21)) !== crc) {
      anomalies.push(`batch at offset ${baseOffset} failed its CRC32C (invariant 5: never serve data that fails its CRC)`);
      continue;
    }
    const attributes = batch.readInt16BE(21);
    if ((attributes & 0x20) !== 0) continue; // control batch
    if ((attributes & 0x07) !== 0) {
      anomalies.push(`batch at ${baseOffset} is compressed (codec ${attributes & 7}); the test producer sends uncompressed batches`);
      continue;
    }
    const count = batch.readInt32BE(57);
    const r = new Reader(batch);
    r.pos = 61;
    for (let i = 0; i < count; i++) {
      const len = varint(r);
      const end = r.pos + len;
      r.int8(); // attributes
      varlong(r); // timestamp delta
      const offsetDelta = varint(r);
      const keyLen = varint(r);
      if (keyLen > 0) r.pos += keyLen;
      const valueLen = varint(r);
      const value = valueLen < 0 ? null : batch.toString('utf8', r.pos, r.pos + valueLen);
      r.pos = end;
      records.push({ offset: baseOffset + offsetDelta, value });
    }
  }
  return { records, anomalies };
}

export interface ReaderOptions {
  /** Brokers to ask for Metadata (all of the cluster's; paused ones time out and are skipped). */
  readonly addresses: () => ReadonlyArray<{ host: string; port: number }>;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly maxWaitMs?: number;
}

/**
 * A consumer made of raw Fetch v4 requests (read_uncommitted, so records up to HW), one
 * in flight per leader, following leadership through Metadata v7. Runs until stop().
 */
export class HwFetchReader {
  readonly observations: Observation[] = [];
  readonly anomalies: string[] = [];
  /** Retriable errors and timeouts seen, by name (expected during faults). */
  readonly retriable = new Map<string, number>();
  private readonly cursors: PartitionCursor[];
  private readonly conns = new Map<string, RawConnection>();
  private leaders = new Map<number, string>();
  private running = false;
  private loop: Promise<void> | null = null;
  private corr = 1;
  private needMetadata = true;

  constructor(private readonly opts: ReaderOptions) {
    this.cursors = opts.partitions.map((partition) => ({ partition, position: 0, hw: -1, leader: null, lastFrom: null, lastHw: -1, outOfRange: 0 }));
  }

  start(): this {
    this.running = true;
    this.loop = this.run();
    return this;
  }

  /** Stops the loop and closes connections. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.loop !== null) await this.loop;
    for (const c of this.conns.values()) c.destroy();
    this.conns.clear();
  }

  position(partition: number): number {
    return this.cursors.find((c) => c.partition === partition)?.position ?? 0;
  }

  /** What the reader has been served, as a complete read (valid once caught up). */
  records(): SeqRecord[] {
    const seen = new Map<string, SeqRecord>();
    for (const o of this.observations) seen.set(`${o.partition}:${o.offset}`, { partition: o.partition, offset: o.offset, seq: o.seq });
    return [...seen.values()];
  }

  /**
   * Waits until, on every partition, the reader's position reached `minEnd` (e.g. last
   * acknowledged offset + 1) and equals the HW of its last response.
   */
  async caughtUp(minEnd: ReadonlyMap<number, number>, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `the raw Fetch reader to catch up (${this.cursors.map((c) => `p${c.partition}: position ${c.position}, HW ${c.hw}, want >= ${minEnd.get(c.partition) ?? 0}, leader ${c.leader}`).join('; ')}; retriable: ${this.retriableSummary()})`,
      () => this.cursors.every((c) => c.position >= (minEnd.get(c.partition) ?? 0) && c.hw >= 0 && c.position >= c.hw),
      { timeoutMs, intervalMs: 50 },
    );
  }

  retriableSummary(): string {
    return [...this.retriable].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
  }

  private note(what: string): void {
    this.retriable.set(what, (this.retriable.get(what) ?? 0) + 1);
  }

  private dropConn(addr: string): void {
    this.conns.get(addr)?.destroy();
    this.conns.delete(addr);
  }

  private async refreshMetadata(): Promise<void> {
    for (const a of this.opts.addresses()) {
      try {
        const md = await fetchMetadata(a.host, a.port, [this.opts.topic], 1500);
        const t = md.topics.find((x) => x.name === this.opts.topic);
        if (t === undefined || t.errorCode !== 0) continue;
        const addrOf = new Map(md.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
        const leaders = new Map<number, string>();
        for (const p of t.partitions) {
          const addr = addrOf.get(p.leader);
          if (p.leader >= 0 && addr !== undefined) leaders.set(p.partition, addr);
        }
        this.leaders = leaders;
        this.needMetadata = false;
        return;
      } catch {
        this.note('metadata-timeout');
      }
    }
  }

  private async conn(addr: string): Promise<RawConnection> {
    const existing = this.conns.get(addr);
    if (existing !== undefined && !existing.isClosed) return existing;
    const [host, port] = addr.split(':') as [string, string];
    const c = await RawConnection.open(host, Number(port), 1500);
    this.conns.set(addr, c);
    return c;
  }

  private async run(): Promise<void> {
    const maxWait = this.opts.maxWaitMs ?? 200;
    let iterations = 0;
    while (this.running) {
      iterations += 1;
      if (this.needMetadata || iterations % 50 === 0) await this.refreshMetadata();
      const byLeader = new Map<string, PartitionCursor[]>();
      for (const c of this.cursors) {
        const addr = this.leaders.get(c.partition);
        c.leader = addr ?? null;
        if (addr === undefined) continue;
        byLeader.set(addr, [...(byLeader.get(addr) ?? []), c]);
      }
      if (byLeader.size === 0) {
        this.needMetadata = true;
        await sleep(100);
        continue;
      }
      await Promise.all([...byLeader].map(([addr, cs]) => this.fetchFrom(addr, cs, maxWait)));
    }
  }

  private async fetchFrom(addr: string, cursors: PartitionCursor[], maxWait: number): Promise<void> {
    const w = new Writer().int32(-1).int32(maxWait).int32(1).int32(4 * 1024 * 1024).int8(0);
    w.int32(1).string(this.opts.topic).int32(cursors.length);
    for (const c of cursors) w.int32(c.partition).int64(c.position).int32(512 * 1024);
    const corr = this.corr++;
    let payload: Buffer;
    try {
      const conn = await this.conn(addr);
      payload = await conn.roundTrip(requestFrame(API_FETCH, 4, corr, w.build(), 'strand-hw-reader'), maxWait + 2500);
    } catch (err) {
      this.note(`fetch ${/timeout|expected a response frame, got timeout/.test(errorText(err)) ? 'timeout' : 'connection error'}`);
      this.dropConn(addr);
      this.needMetadata = true;
      await sleep(100);
      return;
    }
    try {
      this.onResponse(addr, corr, payload, cursors);
    } catch (err) {
      this.anomalies.push(`unparseable Fetch v4 response from ${addr}: ${errorText(err)}`);
      this.dropConn(addr);
      this.needMetadata = true;
    }
  }

  private onResponse(addr: string, corr: number, payload: Buffer, cursors: PartitionCursor[]): void {
    const r = new Reader(payload);
    const got = r.int32();
    if (got !== corr) throw new Error(`correlation id ${got} != ${corr}`);
    r.int32(); // throttle
    const nt = r.int32();
    for (let t = 0; t < nt; t++) {
      r.string();
      const np = r.int32();
      for (let k = 0; k < np; k++) {
        const partition = r.int32();
        const errorCode = r.int16();
        const hw = Number(r.int64());
        r.int64(); // last stable offset
        const na = r.int32();
        for (let i = 0; i < na; i++) {
          r.int64();
          r.int64();
        }
        const len = r.int32();
        const blob = len < 0 ? Buffer.alloc(0) : r.buf.subarray(r.pos, r.pos + len);
        if (len > 0) r.pos += len;
        const c = cursors.find((x) => x.partition === partition);
        if (c === undefined) continue;
        if (errorCode !== 0) {
          this.onPartitionError(addr, c, errorCode);
          continue;
        }
        c.outOfRange = 0;
        // HW never decreases on a leader: compare consecutive good responses from one broker.
        if (c.lastFrom === addr && hw < c.lastHw) this.anomalies.push(`p${partition}: HW went back from ${c.lastHw} to ${hw} on ${addr}`);
        c.lastFrom = addr;
        c.lastHw = hw;
        c.hw = hw;
        const { records, anomalies } = decodeBatches(blob);
        for (const a of anomalies) this.anomalies.push(`p${partition} from ${addr}: ${a}`);
        for (const rec of records) {
          if (rec.offset < c.position) continue;
          this.observations.push({ partition, offset: rec.offset, seq: seqOfValue(rec.value), hw, broker: addr });
          c.position = rec.offset + 1;
        }
      }
    }
  }

  private onPartitionError(addr: string, c: PartitionCursor, errorCode: number): void {
    c.lastFrom = null;
    this.needMetadata = true;
    const name = RETRIABLE_FETCH_ERRORS.get(errorCode);
    if (name !== undefined) {
      this.note(name);
      return;
    }
    if (errorCode === OFFSET_OUT_OF_RANGE) {
      // The position is at most the HW some leader reported: a leader without it lost
      // committed data, unless it is a stale leader that will be replaced. Report it if it persists.
      c.outOfRange += 1;
      this.note('OFFSET_OUT_OF_RANGE');
      if (c.outOfRange === 20) this.anomalies.push(`p${c.partition}: OFFSET_OUT_OF_RANGE for position ${c.position} (which an earlier response's HW covered) 20 times in a row, last from ${addr}`);
      return;
    }
    this.anomalies.push(`p${c.partition}: unexpected Fetch error ${errorCode} from ${addr}`);
  }
}

// ---- final read through a real client ---------------------------------------------------------

/** Reads every partition from the beginning to the end (HW) with kcat -C -e. */
export async function readAllWithKcat(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<SeqRecord[]> {
  const r = await kcatOk(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%p\\t%o\\t%s\\n'], undefined, { timeoutMs });
  const out: SeqRecord[] = [];
  for (const line of r.stdout.toString('utf8').split('\n')) {
    if (line === '') continue;
    const [p, o, v] = line.split('\t');
    out.push({ partition: Number(p), offset: Number(o), seq: seqOfValue(v ?? null) });
  }
  return out;
}

/** Per partition, the last acknowledged offset + 1. */
export function ackedEnds(acked: readonly SeqRecord[], partitions: readonly number[]): Map<number, number> {
  const m = new Map<number, number>(partitions.map((p) => [p, 0]));
  for (const a of acked) m.set(a.partition, Math.max(m.get(a.partition) ?? 0, a.offset + 1));
  return m;
}
