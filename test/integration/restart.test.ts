/**
 * Durability across broker restarts: kill -9 in the middle of an acks=all producer (several
 * times in one run) loses no acknowledged record and keeps offsets dense; a clean SIGTERM
 * exits 0 promptly and the restart skips recovery and serves everything.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess, type LogLine } from '../helpers/broker.js';
import { createTopics } from '../helpers/kafkajs.js';
import { CONFLUENT, confluentReadAll, type ConsumedRecord } from '../helpers/python.js';
import { compareRead, kcatInput, makeRecords, KCAT_FORMAT, parseKcatOutput } from '../helpers/records.js';
import { kcatOk, requireKcat, requirePythonModules, spawnPython, tail } from '../helpers/tools.js';
import { orTimeout, sleep, waitFor } from '../helpers/wait.js';

// One broker per test; never more than one alive from this suite.
afterEach(async () => {
  await cleanupBrokers();
});

beforeAll(() => {
  requireKcat();
  requirePythonModules('confluent_kafka');
});

/** A running produce_until_stdin_closes producer and what it has reported so far. */
class ContinuousProducer {
  readonly acks: Array<{ offset: number; value: string }> = [];
  readonly errors: string[] = [];
  done: number | null = null;
  private stderr = '';
  private partial = '';
  private readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (b: Buffer) => {
      const text = this.partial + b.toString('utf8');
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, a, ...rest] = line.split(' ');
        if (kind === 'ACK') this.acks.push({ offset: Number(a), value: rest.join(' ') });
        else if (kind === 'ERR') this.errors.push(line);
        else if (kind === 'DONE') this.done = Number(a);
      }
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderr = tail(this.stderr + b.toString('utf8'), 20_000);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  async waitForMoreAcks(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acks.length + n;
    await waitFor(`${target} acknowledged records (have ${this.acks.length}, errors: ${this.errors.slice(-3).join(' | ')})`, () => this.acks.length >= target, {
      timeoutMs,
      intervalMs: 20,
    });
  }

  /** Closes stdin (the script flushes and prints DONE) and waits for exit 0. */
  async finish(timeoutMs = 90_000): Promise<void> {
    this.child.stdin?.end();
    const code = await orTimeout(this.exited, timeoutMs);
    if (code === 'timeout') {
      this.child.kill('SIGKILL');
      throw new Error(`producer did not finish within ${timeoutMs} ms; stderr:\n${tail(this.stderr, 3000)}`);
    }
    if (code !== 0) throw new Error(`producer exited ${code}; stderr:\n${tail(this.stderr, 3000)}`);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  stderrTail(): string {
    return tail(this.stderr, 3000);
  }
}

function seqOf(value: string | null): number {
  if (value === null || !value.startsWith('seq-')) return -1;
  return Number(value.slice(4));
}

/**
 * The invariants a user can check: offsets dense from 0; every acknowledged (offset, value)
 * is in the log there; acknowledged records appear in the order they were produced; the log
 * holds nothing that was not produced.
 */
function checkLogAgainstAcks(records: readonly ConsumedRecord[], acks: ReadonlyArray<{ offset: number; value: string }>, producedCount: number): void {
  expect(records.map((r) => r.offset)).toEqual(Array.from({ length: records.length }, (_, i) => i));
  const byOffset = new Map(records.map((r) => [r.offset, r.value]));
  const missing = acks.filter((a) => byOffset.get(a.offset) !== a.value);
  if (missing.length > 0) {
    throw new Error(
      `${missing.length} of ${acks.length} acknowledged records are not at their acknowledged offset; first: ${JSON.stringify(missing.slice(0, 5))} ` +
        `(log has ${JSON.stringify(missing.slice(0, 5).map((m) => byOffset.get(m.offset) ?? null))}); log length ${records.length}`,
    );
  }
  expect(new Set(acks.map((a) => a.offset)).size).toBe(acks.length);
  const ackSeqByOffset = [...acks].sort((a, b) => a.offset - b.offset).map((a) => seqOf(a.value));
  for (let i = 1; i < ackSeqByOffset.length; i++) {
    if ((ackSeqByOffset[i] ?? 0) <= (ackSeqByOffset[i - 1] ?? 0)) throw new Error(`acknowledged records out of produce order at ack #${i}: seq ${ackSeqByOffset[i - 1]} then ${ackSeqByOffset[i]}`);
  }
  const foreign = records.filter((r) => {
    const s = seqOf(r.value);
    return s < 0 || s >= producedCount;
  });
  expect(foreign.map((r) => ({ offset: r.offset, value: r.value }))).toEqual([]);
}

async function killRestartScenario(idempotent: boolean, kills: number, settings: Record<string, string | number> = {}): Promise<void> {
  const broker = await startBroker({ settings });
  const topic = uniqueTopic(idempotent ? 'kill9-idem' : 'kill9');
  await createTopics(broker, [{ topic }]);
  const producer = new ContinuousProducer(
    spawnPython(CONFLUENT, [
      'produce_until_stdin_closes',
      JSON.stringify({
        bootstrap: broker.bootstrap,
        topic,
        acks: 'all',
        idempotent,
        rate: 10_000,
        linger_ms: 2,
        message_timeout_ms: 120_000,
        config: {
          // Batches must fit in a segment (small segments are used to exercise rolling).
          'batch.size': 16384,
          'max.in.flight.requests.per.connection': idempotent ? 5 : 1,
          'reconnect.backoff.ms': 50,
          'reconnect.backoff.max.ms': 200,
          'retry.backoff.ms': 50,
          ...(idempotent ? {} : { retries: 1_000_000 }),
        },
      }),
    ]),
  );
  try {
    await producer.waitForMoreAcks(1000);
    for (let k = 0; k < kills; k++) {
      await producer.waitForMoreAcks(500);
      await broker.kill9();
      await sleep(150);
      await broker.restart();
      expect(reportedCleanShutdown(broker)).toBe(false);
      // The producer reconnects and its acknowledgements continue.
      await producer.waitForMoreAcks(500, 40_000);
    }
    await producer.finish();
  } catch (err) {
    producer.kill();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nproducer stderr:\n${producer.stderrTail()}\nbroker log ${broker.logFile}:\n${broker.logTail(3000)}`);
  }
  expect({ failedDeliveries: producer.errors.length, first: producer.errors.slice(0, 3) }).toEqual({ failedDeliveries: 0, first: [] });
  expect(producer.done).toBe(0);
  const lastSeq = Math.max(...producer.acks.map((a) => seqOf(a.value)));
  // Every record produced was acknowledged (no ERR lines and DONE 0 mean none failed).
  expect(producer.acks).toHaveLength(lastSeq + 1);

  const read = await confluentReadAll(broker.bootstrap, topic, 0, 0, 60);
  checkLogAgainstAcks(read.records, producer.acks, lastSeq + 1);
  if (idempotent) {
    // The idempotent producer's retries across restarts must not duplicate anything.
    expect(read.records).toHaveLength(producer.acks.length);
  }

  // Random reads from the middle of the recovered log (offset index rebuilt after recovery).
  const sortedAcks = [...producer.acks].sort((a, b) => a.offset - b.offset);
  for (const frac of [0.1, 0.33, 0.5, 0.77, 0.99]) {
    const ack = sortedAcks[Math.floor(frac * (sortedAcks.length - 1))];
    if (ack === undefined) continue;
    const one = parseKcatOutput((await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', String(ack.offset), '-c', '1', '-e', '-q', '-f', KCAT_FORMAT])).stdout);
    expect(one.map((r) => [r.offset, r.value])).toEqual([[ack.offset, ack.value]]);
  }

  // The restarted broker accepts new writes at the next offset.
  const extra = makeRecords(10, 'after-', 3);
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-X', 'acks=all'], kcatInput(extra));
  const after = parseKcatOutput(
    (await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', String(read.records.length), '-e', '-q', '-f', KCAT_FORMAT])).stdout,
  );
  expect(compareRead(extra, after, read.records.length)).toBeNull();
}

test('kill -9 mid-produce (3 times, acks=all, 64 KiB segments): every acknowledged record survives at its offset, offsets dense', async () => {
  await killRestartScenario(false, 3, { 'log.segment.bytes': 65536 });
}, 150_000);

test('kill -9 mid-produce with an idempotent producer (2 times): no acknowledged record lost, none duplicated', async () => {
  await killRestartScenario(true, 2);
}, 120_000);

/**
 * Whether the restarted broker found the clean-shutdown marker (and so skipped recovery), from
 * its startup summary: LogManager's `{"msg":"loaded logs","clean":bool}` (or the server's
 * `{"msg":"logs loaded","cleanShutdown":bool}`).
 */
function reportedCleanShutdown(broker: BrokerProcess): boolean {
  const line = broker.logLines().find((l) => l.msg === 'loaded logs' || l.msg === 'logs loaded');
  if (line === undefined) throw new Error(`no "loaded logs" line in the broker log; messages: ${JSON.stringify([...new Set(broker.logLines().map((l) => l.msg))])}`);
  const clean = line.clean ?? line.cleanShutdown;
  if (typeof clean !== 'boolean') throw new Error(`"${line.msg}" line has no boolean clean/cleanShutdown field: ${JSON.stringify(line)}`);
  return clean;
}

test('SIGTERM: exits 0 within 5 s; restart skips recovery and serves every record', async () => {
  const broker = await startBroker({ settings: { 'log.segment.bytes': 100_000 } });
  const topics = [uniqueTopic('clean-a'), uniqueTopic('clean-b')];
  await createTopics(broker, topics.map((topic) => ({ topic, numPartitions: 2 })));
  const first = makeRecords(5_000, 'clean-', 11);
  const second = makeRecords(2_000, 'later-', 12);
  for (const topic of topics) {
    for (const p of [0, 1]) await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', String(p), '-K', ':', '-X', 'acks=all', '-X', 'batch.size=16384', '-z', 'snappy'], kcatInput(first));
  }
  await sleep(20);
  const boundary = Date.now();
  await sleep(20);
  for (const topic of topics) {
    for (const p of [0, 1]) await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', String(p), '-K', ':', '-X', 'acks=all', '-X', 'batch.size=16384'], kcatInput(second));
  }
  const sent = [...first, ...second];
  const stopMs = await broker.stop();
  expect(stopMs).toBeLessThan(5_000);
  await broker.restart();
  // The clean-shutdown marker was found, so recovery was skipped.
  expect(reportedCleanShutdown(broker)).toBe(true);
  expect(broker.logLines().filter((l) => typeof l.msg === 'string' && /not clean|recover/i.test(l.msg))).toEqual([]);
  for (const topic of topics) {
    for (const p of [0, 1]) {
      const read = parseKcatOutput(
        (await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT], undefined, { timeoutMs: 20_000 })).stdout,
      );
      expect(compareRead(sent, read, 0)).toBeNull();
      // Time index after restart: s@boundary starts at the first record of the second batch.
      const fromTs = parseKcatOutput(
        (await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', String(p), '-o', `s@${boundary}`, '-e', '-q', '-f', KCAT_FORMAT])).stdout,
      );
      expect(compareRead(second, fromTs, first.length)).toBeNull();
    }
  }
  // Still writable, and a second clean stop works too.
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topics[0] ?? '', '-p', '0', '-K', ':'], kcatInput(makeRecords(5, 'x-', 1)));
  expect(await broker.stop()).toBeLessThan(5_000);
}, 90_000);

/** The newest segment file of a partition (Kafka layout: <dataDir>/<topic>-<p>/<base>.log). */
function activeSegment(dataDir: string, topic: string, partition: number): string {
  const dir = join(dataDir, `${topic}-${partition}`);
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  const last = logs[logs.length - 1];
  if (last === undefined) throw new Error(`no .log segment in ${dir}: ${readdirSync(dir).join(', ')}`);
  return join(dir, last);
}

/** Start position of the last record batch in a segment file. */
function lastBatchStart(file: string): { start: number; size: number } {
  const buf = readFileSync(file);
  let pos = 0;
  let last: { start: number; size: number } | null = null;
  while (pos + 12 <= buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (size < 61 || pos + size > buf.length) break;
    last = { start: pos, size };
    pos += size;
  }
  if (last === null) throw new Error(`no complete batch in ${file} (${buf.length} bytes)`);
  return last;
}

test('recovery after kill -9 truncates a torn or corrupted tail; earlier records intact, offsets continue densely', async () => {
  const broker = await startBroker();
  const topic = uniqueTopic('torn');
  await createTopics(broker, [{ topic }]);
  const expected = makeRecords(3_000, 'base-', 21);
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-X', 'acks=all'], kcatInput(expected));

  const readAll = async (): Promise<ReturnType<typeof parseKcatOutput>> =>
    parseKcatOutput((await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', KCAT_FORMAT])).stdout);
  const produceOne = async (key: string): Promise<{ key: string; value: string }> => {
    const rec = { key, value: `${key}-value` };
    await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-X', 'acks=all'], kcatInput([rec]));
    return rec;
  };

  // (a) Garbage appended after the last complete batch: recovery drops it, nothing else.
  await broker.kill9();
  appendFileSync(activeSegment(broker.dataDir, topic, 0), Buffer.from('\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x01\x00garbage-tail-bytes', 'latin1'));
  await broker.restart();
  expect(compareRead(expected, await readAll(), 0)).toBeNull();
  const tailA = await produceOne('tail-a');
  expect(compareRead([...expected, tailA], await readAll(), 0)).toBeNull();

  // (b) The last batch torn in the middle (as if the write was cut): that batch is gone.
  await broker.kill9();
  const segB = activeSegment(broker.dataDir, topic, 0);
  const lastB = lastBatchStart(segB);
  truncateSync(segB, lastB.start + lastB.size - 5);
  await broker.restart();
  expect(compareRead(expected, await readAll(), 0)).toBeNull();
  const tailB = await produceOne('tail-b');
  expect(compareRead([...expected, tailB], await readAll(), 0)).toBeNull();

  // (c) A byte flipped inside the last batch (CRC no longer matches): never served.
  await broker.kill9();
  const segC = activeSegment(broker.dataDir, topic, 0);
  const lastC = lastBatchStart(segC);
  const bytes = readFileSync(segC);
  const at = lastC.start + lastC.size - 3;
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  writeFileSync(segC, bytes);
  await broker.restart();
  expect(compareRead(expected, await readAll(), 0)).toBeNull();
  const tailC = await produceOne('tail-c');
  expect(compareRead([...expected, tailC], await readAll(), 0)).toBeNull();
}, 60_000);
