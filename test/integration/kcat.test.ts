/**
 * kcat (librdkafka 2.0.2) against a real broker: 100,000 keyed records with headers per
 * compression codec, read back exactly, in order, at dense offsets; and every consumer start
 * position kcat offers (beginning, end, absolute offset, relative, timestamp).
 */
import { spawn } from 'node:child_process';
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { createTopics } from '../helpers/kafkajs.js';
import { compareRead, KCAT_FORMAT, kcatInput, makeRecords, parseKcatOutput, type ReadRecord, type SentRecord } from '../helpers/records.js';
import { kcatOk, requireKcat, tail } from '../helpers/tools.js';
import { orTimeout, sleep, waitFor } from '../helpers/wait.js';

const N = 100_000;
const HEADERS = ['trace=abc123', 'source=kcat'];
const HEADERS_FMT = HEADERS.join(',');
const BATCHING = ['-X', 'linger.ms=20', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=200000'];

let broker: BrokerProcess;

beforeAll(async () => {
  requireKcat();
  broker = await startBroker();
});

afterAll(async () => {
  await cleanupBrokers();
});

function produceArgs(topic: string, codec: string): string[] {
  const args = ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', ':', '-X', `compression.codec=${codec}`, '-X', 'acks=all', ...BATCHING];
  for (const h of HEADERS) args.push('-H', h);
  return args;
}

async function produce(topic: string, records: readonly SentRecord[], codec = 'none'): Promise<void> {
  const r = await kcatOk(produceArgs(topic, codec), kcatInput(records), { timeoutMs: 30_000 });
  // kcat reports per-message delivery failures on stderr.
  expect(r.stderr).not.toMatch(/Delivery failed|ERROR/i);
}

async function consume(topic: string, offsetSpec: string): Promise<ReadRecord[]> {
  const r = await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', offsetSpec, '-e', '-q', '-f', KCAT_FORMAT], undefined, {
    timeoutMs: 30_000,
  });
  return parseKcatOutput(r.stdout);
}

describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('kcat codec %s', (codec) => {
  test(
    `produces ${N} keyed records with headers and reads every one back in order at dense offsets`,
    async () => {
      const topic = uniqueTopic(`kcat-${codec}`);
      await createTopics(broker, [{ topic }]);
      const sent = makeRecords(N, `${codec}-`, codec.length);
      await produce(topic, sent, codec);
      const read = await consume(topic, 'beginning');
      expect(compareRead(sent, read, 0, HEADERS_FMT)).toBeNull();
    },
    40_000,
  );
});

describe('kcat consumer start positions', () => {
  const topic = uniqueTopic('kcat-offsets');
  let before: SentRecord[] = [];
  let after: SentRecord[] = [];
  let boundary = 0;

  beforeAll(async () => {
    await createTopics(broker, [{ topic }]);
    before = makeRecords(20_000, 'a-', 7);
    await produce(topic, before, 'lz4');
    await sleep(20);
    boundary = Date.now();
    await sleep(20);
    after = makeRecords(1_000, 'b-', 8);
    await produce(topic, after, 'none');
  }, 40_000);

  test('-o beginning returns everything produced', async () => {
    expect(compareRead([...before, ...after], await consume(topic, 'beginning'), 0, HEADERS_FMT)).toBeNull();
  });

  test('-o <absolute offset> starts exactly there', async () => {
    const start = 12_345;
    expect(compareRead([...before, ...after].slice(start), await consume(topic, String(start)), start)).toBeNull();
  });

  test('-o -<n> (relative to end) returns the last n records', async () => {
    const all = [...before, ...after];
    expect(compareRead(all.slice(all.length - 250), await consume(topic, '-250'), all.length - 250)).toBeNull();
  });

  test('-o s@<timestamp> starts at the first record with timestamp >= it', async () => {
    const read = await consume(topic, `s@${boundary}`);
    expect(compareRead(after, read, before.length)).toBeNull();
    for (const r of read) expect(r.timestamp).toBeGreaterThanOrEqual(boundary);
    // ...and the records before the boundary really are older (the test is not vacuous).
    const earlier = await consume(topic, String(before.length - 3));
    expect(earlier.slice(0, 3).every((r) => r.timestamp < boundary)).toBe(true);
  });

  test('-o end sees only records produced after it started', async () => {
    requireKcat();
    const extra = makeRecords(500, 'c-', 9);
    const consumer = spawn('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'end', '-c', String(extra.length), '-f', KCAT_FORMAT], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let stderr = '';
    consumer.stdout.on('data', (b: Buffer) => out.push(b));
    consumer.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => consumer.on('exit', (code) => resolve(code)));
    try {
      // kcat reports partition EOF once it has resolved "end" and fetched up to it.
      await waitFor('kcat -o end to reach the end of the partition', () => /Reached end of topic/.test(stderr), { timeoutMs: 15_000 });
      await produce(topic, extra, 'gzip');
      const code = await orTimeout(exited, 20_000);
      if (code === 'timeout') throw new Error(`kcat -o end -c ${extra.length} did not exit; stderr:\n${tail(stderr, 2000)}`);
      expect(code).toBe(0);
      const read = parseKcatOutput(Buffer.concat(out));
      expect(compareRead(extra, read, before.length + after.length, HEADERS_FMT)).toBeNull();
    } finally {
      consumer.kill('SIGKILL');
    }
  }, 40_000);
});
