#!/usr/bin/env node
/**
 * `npm run bench`: throughput and latency of a fresh single broker, each figure next to a
 * baseline measured in the same run on the same machine:
 *
 *   produce MB/s, records/s  100 B and 1 KiB records, acks=1 and acks=all, two clients:
 *                            kcat/librdkafka (1 partition) and the raw Node null producer
 *                            (bench/raw-clients.mjs: pre-built ~1 MiB batches, 8 requests in
 *                            flight, 4 partitions) vs sequential disk write with fdatasync
 *   consume MB/s, records/s  each client reads back what it produced with acks=1: kcat -C -e
 *                            (fetch sizes raised, output to a pipe the bench only counts) and
 *                            the raw Node null consumer (Fetch v4, 4 connections, batch headers
 *                            only) vs Node loopback TCP null sink
 *
 * Order: latency first (fresh broker); every topic is deleted after its runs so the kernel's
 * writeback of earlier runs throttles later ones as little as possible.
 *   produce latency p50/p99  (confluent-kafka-python, 1000 msg/s, linger.ms=0, 100 B)
 *                            vs loopback TCP request/response round trip between processes
 *
 * MB/s is always record value bytes (records x size) per second, for every client.
 *
 * Bounded: each client run has a time cap, the whole bench stays under ~3 minutes; temp dirs
 * and every process it started are removed/stopped at the end.
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KCAT_PRODUCER_TUNING, makeInput, runTimed as runTimedShared } from './common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const helpers = join(root, 'dist', 'test', 'helpers');
const { startBroker, cleanupBrokers, uniqueTopic } = await import(join(helpers, 'broker.js'));
const { createTopics, withAdmin } = await import(join(helpers, 'kafkajs.js'));
const { requireKcat, requirePythonModules, PYTHON, CLIENTS_DIR } = await import(join(helpers, 'tools.js'));

const BENCH_START = Date.now();
const BUDGET_MS = 170_000;
const RUN_CAP_MS = 25_000;
const tmpRoot = mkdtempSync(join(tmpdir(), 'strand-bench-'));
const children = new Set();

function log(msg) {
  process.stderr.write(`[bench +${((Date.now() - BENCH_START) / 1000).toFixed(1)}s] ${msg}\n`);
}

function overBudget() {
  return Date.now() - BENCH_START > BUDGET_MS;
}

/** The shared runner, tracked in `children`, with this file's cap. */
function runTimed(cmd, args, { input, capMs = RUN_CAP_MS, keepStdout = false, stdinFile } = {}) {
  return runTimedShared(children, cmd, args, { input, capMs, keepStdout, stdinFile });
}



async function produceRun(broker, size, count, acks, file) {
  const topic = uniqueTopic(`bench-p${size}-${acks}`);
  await createTopics(broker, [{ topic }]);
  const r = await runTimed('kcat', ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-l', '-X', `acks=${acks}`, ...KCAT_PRODUCER_TUNING, file], {});
  const failed = r.code !== 0 || /Delivery failed|ERROR/i.test(r.stderr);
  if (r.timedOut) return { topic, note: `timeout (> ${RUN_CAP_MS / 1000}s)` };
  if (failed) return { topic, note: `kcat exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  const bytes = size * count;
  return { topic, mbps: bytes / 1e6 / (r.ms / 1000), rps: count / (r.ms / 1000), ms: r.ms };
}

/**
 * kcat -C -e over every partition of the topic kcat produced with acks=1. librdkafka's defaults cap a partition at 1 MiB per fetch
 * and make the final, empty fetch that proves end-of-partition long-poll 500 ms; both are
 * raised/shortened so the figure is the consumer's streaming rate, not those waits.
 */
const KCAT_CONSUMER_TUNING = [
  '-X', 'fetch.wait.max.ms=5',
  '-X', 'fetch.max.bytes=52428800',
  '-X', 'fetch.message.max.bytes=16777216',
  '-X', 'queued.max.messages.kbytes=1048576',
];

async function consumeRun(broker, topic, size, count) {
  const r = await runTimed('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', ...KCAT_CONSUMER_TUNING], {});
  if (r.timedOut) return { note: `timeout (> ${RUN_CAP_MS / 1000}s)` };
  if (r.code !== 0) return { note: `kcat exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  const expected = count * (size + 1);
  if (r.stdoutBytes !== expected) return { note: `read ${r.stdoutBytes} bytes, expected ${expected}` };
  return { mbps: (size * count) / 1e6 / (r.ms / 1000), rps: count / (r.ms / 1000) };
}

/**
 * Drops a topic once its runs are done: deleting the files discards their dirty pages, so the
 * next run is not throttled by the kernel writing back the previous run's gigabytes.
 */
async function dropTopic(broker, topic) {
  try {
    await withAdmin(broker, (admin) => admin.deleteTopics({ topics: [topic], timeout: 10_000 }));
  } catch (e) {
    log(`delete ${topic} failed (ignored): ${e instanceof Error ? e.message : String(e)}`);
  }
}

const RAW_PARTITIONS = 4;
const RAW_CLIENTS = join(root, 'bench', 'raw-clients.mjs');

/** One raw-protocol client run in its own process (so the cap can kill it). */
async function rawRun(broker, mode, opts) {
  const args = [RAW_CLIENTS, mode, JSON.stringify({ host: broker.host, port: broker.port, ...opts })];
  const r = await runTimed(process.execPath, args, { keepStdout: true });
  if (r.timedOut) return { note: `timeout (> ${RUN_CAP_MS / 1000}s)` };
  if (r.code !== 0) return { note: `raw ${mode} exit ${r.code}: ${r.stderr.trim().split('\n').slice(-1).join('')}` };
  const doc = JSON.parse(r.stdout.trim().split('\n').pop());
  if (doc.errors > 0) return { note: `${doc.errors} produce errors (${doc.firstError})` };
  return { ...doc, mbps: doc.payloadBytes / 1e3 / doc.ms, rps: doc.records / (doc.ms / 1000) };
}

async function rawProduceRun(broker, size, acks) {
  const topic = uniqueTopic(`bench-raw${size}-${acks}`);
  await createTopics(broker, [{ topic, numPartitions: RAW_PARTITIONS }]);
  // Bounded by bytes and time: ~4 s of load, at most ~1.5 GB on disk per run.
  const r = await rawRun(broker, 'produce', { topic, partitions: RAW_PARTITIONS, recordSize: size, acks: acks === 'all' ? -1 : 1, inFlight: 8, maxBytes: 1.5e9, maxMs: 4000 });
  return { topic, ...r };
}

async function latencyRun(broker) {
  const topic = uniqueTopic('bench-lat');
  await createTopics(broker, [{ topic }]);
  const args = [join(CLIENTS_DIR, 'confluent_client.py'), 'latency', JSON.stringify({ bootstrap: broker.bootstrap, topic, rate: 1000, seconds: 10, size: 100, acks: 'all' })];
  const r = await runTimed(PYTHON, args, { capMs: 40_000, keepStdout: true });
  if (r.code !== 0) return { note: `python exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
  const doc = JSON.parse(r.stdout.trim().split('\n').pop());
  return doc;
}

/** Node loopback TCP: sender writes 1 MiB buffers for ~3 s to a null-sink receiver process. */
async function tcpBaseline() {
  const receiver = `
    const net = require('net');
    let bytes = 0, t0 = 0;
    const srv = net.createServer((s) => {
      s.on('data', (b) => { if (!t0) t0 = process.hrtime.bigint(); bytes += b.length; });
      s.on('end', () => { const ms = Number(process.hrtime.bigint() - t0) / 1e6; process.stdout.write(JSON.stringify({ bytes, ms }) + '\\n'); srv.close(); s.destroy(); });
    });
    srv.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: srv.address().port }) + '\\n'));`;
  const sender = `
    const net = require('net');
    const port = Number(process.argv[1]);
    const buf = Buffer.alloc(1 << 20, 7);
    const s = net.connect(port, '127.0.0.1', () => {
      const end = Date.now() + 3000;
      const pump = () => { while (Date.now() < end) { if (!s.write(buf)) { s.once('drain', pump); return; } } s.end(); };
      pump();
    });`;
  const recv = spawn(process.execPath, ['-e', receiver], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(recv);
  const lines = [];
  let partial = '';
  const lineWaiters = [];
  recv.stdout.on('data', (b) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop();
    for (const p of parts) {
      lines.push(JSON.parse(p));
      lineWaiters.shift()?.();
    }
  });
  const nextLine = async (i) => {
    while (lines.length <= i) await new Promise((r) => lineWaiters.push(r));
    return lines[i];
  };
  const { port } = await nextLine(0);
  const snd = spawn(process.execPath, ['-e', sender, String(port)], { stdio: 'inherit' });
  children.add(snd);
  const res = await nextLine(1);
  await new Promise((r) => (snd.exitCode !== null ? r() : snd.on('exit', r)));
  children.delete(snd);
  children.delete(recv);
  return { mbps: res.bytes / 1e6 / (res.ms / 1000) };
}

/** Loopback TCP request/response round trip (100 B ping-pong) between two processes. */
async function rttBaseline() {
  const echo = `
    const net = require('net');
    const srv = net.createServer((s) => { s.setNoDelay(true); s.on('data', (b) => s.write(b)); s.on('end', () => { s.end(); srv.close(); }); });
    srv.listen(0, '127.0.0.1', () => process.stdout.write(srv.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['-e', echo], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const port = await new Promise((r) => child.stdout.once('data', (b) => r(Number(b.toString().trim()))));
  const net = await import('node:net');
  const sock = net.connect(port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise((r) => sock.once('connect', r));
  const msg = Buffer.alloc(100, 1);
  const samples = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = process.hrtime.bigint();
    let got = 0;
    await new Promise((r) => {
      const on = (b) => {
        got += b.length;
        if (got >= msg.length) {
          sock.off('data', on);
          r();
        }
      };
      sock.on('data', on);
      sock.write(msg);
    });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  sock.end();
  await new Promise((r) => child.on('exit', r));
  children.delete(child);
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] };
}

/** Sequential write of ~1 GiB in 1 MiB chunks, then fdatasync (like dd conv=fdatasync). */
function diskBaseline() {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-disk-'));
  try {
    const path = join(dir, 'seq.bin');
    const fd = openSync(path, 'w');
    const buf = Buffer.alloc(1 << 20, 0x5a);
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + 15_000;
    let written = 0;
    for (let i = 0; i < 1024 && Date.now() < deadline; i++) written += writeSync(fd, buf);
    fdatasyncSync(fd);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    closeSync(fd);
    return { mbps: written / 1e6 / (ms / 1000), bytes: written };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n, digits = 1) {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

function ratio(a, b) {
  if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

async function main() {
  requireKcat();
  requirePythonModules('confluent_kafka');
  const rows = [];

  log('baseline: sequential disk write with fdatasync (1 MiB chunks, ~1 GiB)');
  const disk = diskBaseline();
  log('baseline: loopback TCP throughput between two Node processes (3 s)');
  const tcp = await tcpBaseline();
  log('baseline: loopback TCP round trip');
  const rtt = await rttBaseline();

  if (process.argv.includes('--baselines-only')) {
    console.log(`disk ${fmt(disk.mbps)} MB/s; tcp ${fmt(tcp.mbps)} MB/s; rtt p50 ${fmt(rtt.p50, 3)} ms p99 ${fmt(rtt.p99, 3)} ms`);
    return;
  }
  log('starting broker');
  const broker = await startBroker({ dataDir: join(tmpRoot, 'data') });
  log(`broker on ${broker.bootstrap}`);

  // Warm-up (not reported): JIT, connections, first segment files.
  {
    const warm = await makeInput(tmpRoot, 50_000, 100);
    await produceRun(broker, 100, 50_000, '1', warm);
    rmSync(warm, { force: true });
  }

  // Latency first, on the fresh broker: after the throughput runs the kernel is still writing
  // back gigabytes of page cache, and its write throttling (not the broker) would set p99.
  {
    log('produce latency: 1000 msg/s for 10 s, acks=all, linger.ms=0');
    const l = await latencyRun(broker);
    if (l.note) rows.push(['produce latency (ms)', l.note, '', '']);
    else {
      rows.push([`produce latency p50 ms (${l.count} msgs, ${l.errors} errors)`, fmt(l.p50, 2), `tcp rtt ${fmt(rtt.p50, 3)}`, ratio(l.p50, rtt.p50)]);
      rows.push(['produce latency p99 ms', fmt(l.p99, 2), `tcp rtt ${fmt(rtt.p99, 3)}`, ratio(l.p99, rtt.p99)]);
    }
  }

  const cases = [
    { size: 100, count: 3_000_000 },
    { size: 1024, count: 1_000_000 },
  ];
  const label = (size) => (size === 1024 ? '1 KiB' : `${size} B`);
  const mbRow = (name, r, base, baseName) =>
    r.note ? [name, r.note, '', ''] : [name, fmt(r.mbps), `${baseName} ${fmt(base)}`, ratio(r.mbps, base)];
  for (const c of cases) {
    const file = await makeInput(tmpRoot, c.count, c.size);
    const L = label(c.size);
    for (const acks of ['1', 'all']) {
      if (overBudget()) {
        rows.push([`produce ${L} acks=${acks} (kcat)`, 'skipped (time budget)', '', '']);
        continue;
      }
      log(`produce ${c.count} x ${c.size} B acks=${acks} (kcat)`);
      const r = await produceRun(broker, c.size, c.count, acks, file);
      rows.push(mbRow(`produce ${L} acks=${acks} MB/s (kcat)`, r, disk.mbps, 'disk'));
      if (!r.note) rows.push([`produce ${L} acks=${acks} records/s (kcat)`, fmt(r.rps, 0), '', '']);
      if (acks === '1' && !r.note && !overBudget()) {
        log(`consume ${c.count} x ${c.size} B (kcat)`);
        const k = await consumeRun(broker, r.topic, c.size, c.count);
        rows.push(mbRow(`consume ${L} MB/s (kcat)`, k, tcp.mbps, 'tcp'));
        if (!k.note) rows.push([`consume ${L} records/s (kcat)`, fmt(k.rps, 0), '', '']);
      }
      await dropTopic(broker, r.topic);
    }
    rmSync(file, { force: true });
    for (const acks of ['1', 'all']) {
      if (overBudget()) {
        rows.push([`produce ${L} acks=${acks} (raw)`, 'skipped (time budget)', '', '']);
        continue;
      }
      log(`produce ${c.size} B acks=${acks} (raw, ${RAW_PARTITIONS} partitions, ~4 s)`);
      const r = await rawProduceRun(broker, c.size, acks);
      rows.push(mbRow(`produce ${L} acks=${acks} MB/s (raw)`, r, disk.mbps, 'disk'));
      if (!r.note) rows.push([`produce ${L} acks=${acks} records/s (raw)`, fmt(r.rps, 0), '', '']);
      if (acks === '1' && !r.note && !overBudget()) {
        log(`consume ${r.records} x ${c.size} B (raw, ${RAW_PARTITIONS} connections)`);
        const k = await rawRun(broker, 'consume', { topic: r.topic, partitions: RAW_PARTITIONS, recordSize: c.size, lanes: RAW_PARTITIONS, maxMs: 15_000 });
        if (!k.note && k.records !== r.records) k.note = `read ${k.records} records, expected ${r.records}`;
        rows.push(mbRow(`consume ${L} MB/s (raw)`, k, tcp.mbps, 'tcp'));
        if (!k.note) rows.push([`consume ${L} records/s (raw)`, fmt(k.rps, 0), '', '']);
      }
      await dropTopic(broker, r.topic);
    }
  }

  log('stopping broker');
  await broker.stop();

  const header = ['figure', 'value', 'baseline', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  console.log(`\nbaselines: disk seq write+fdatasync ${fmt(disk.mbps)} MB/s (${(disk.bytes / 2 ** 20).toFixed(0)} MiB); loopback TCP ${fmt(tcp.mbps)} MB/s; TCP rtt p50 ${fmt(rtt.p50, 3)} ms p99 ${fmt(rtt.p99, 3)} ms`);
  console.log(`total bench time ${((Date.now() - BENCH_START) / 1000).toFixed(1)} s`);
}

let exitCode = 0;
try {
  await main();
  // Consumer-group case (bench/groups.mjs): its own broker and table.
  if (!process.argv.includes('--baselines-only')) await (await import('./groups.mjs')).runGroupBench();
  if (!process.argv.includes('--baselines-only')) await (await import('./cluster.mjs')).runClusterBench();
} catch (err) {
  console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGKILL');
  await cleanupBrokers();
  rmSync(tmpRoot, { recursive: true, force: true });
}
process.exit(exitCode);
