#!/usr/bin/env node
/**
 * Three-broker cluster bench (called at the end of bench/run.mjs; also runnable alone after a
 * build: `node bench/cluster.mjs`). A local cluster as the cluster tests start it
 * (test/helpers/cluster.ts: a real nats-server with JetStream + 3 broker processes, all on
 * 127.0.0.1, default settings), topics with replication factor 3 and min.insync.replicas=2:
 *
 *   produce latency p50/p99   confluent-kafka-python, 1000 msg/s for 10 s, 100 B, acks=all,
 *                             linger.ms=0 (the single-broker latency row's method). First, on
 *                             the fresh cluster.
 *   produce MB/s acks=1/all   kcat -P -l, 1 M x 100 B, 1 partition, the single-broker bench's
 *                             producer settings; the raw Node null producer
 *                             (bench/raw-clients.mjs: ~1 MB batches, 8 in flight, ~4 s) with
 *                             100 B and 1 KiB records over 4 partitions all led by the broker
 *                             it talks to. Ratio: acks=all / acks=1 of the same client.
 *   failover s                kill -9 of a partition leader (never the active controller, so
 *                             controller failover is not part of it) -> the first successful
 *                             acks=all Produce on the new leader, by a raw client that asks
 *                             Metadata v7 of the surviving brokers every 20 ms and produces to
 *                             the leader it names. Median of 5; between runs the killed broker
 *                             is restarted and every ISR is full again. Once with the default
 *                             broker.session.timeout.ms (6000), once with 3000 (second cluster).
 *
 * Holds the cluster-test lock (only one test cluster at a time on this machine). Bounded: each
 * client run has a time cap, the whole bench stays under ~4 minutes once it has the lock;
 * every process it started and every temp dir is removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KCAT_PRODUCER_TUNING, makeInput, runTimed as runTimedShared } from './common.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const helpers = join(root, 'dist', 'test', 'helpers');
const RAW_CLIENTS = join(root, 'bench', 'raw-clients.mjs');
const RUN_CAP_MS = 30_000;
const FAILOVER_RUNS = 5;
const FAILOVER_CAP_MS = 30_000;
const TOPIC_CONFIG = { 'min.insync.replicas': '2' };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const started = Date.now();
const log = (msg) => process.stderr.write(`[bench cluster +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
const errText = (e) => (e instanceof Error ? e.message : String(e));

function fmt(n, digits = 1) {
  if (n === undefined || n === null || Number.isNaN(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

/** The shared runner with this file's cap; stdout is always kept. */
function runTimed(children, cmd, args, { capMs = RUN_CAP_MS, stdinFile } = {}) {
  return runTimedShared(children, cmd, args, { capMs, stdinFile, keepStdout: true });
}



export async function runClusterBench() {
  const { startCluster, createClusterTopic, closeClusters, acquireClusterLock, releaseClusterLock, fetchMetadata } = await import(join(helpers, 'cluster.js'));
  const { uniqueTopic } = await import(join(helpers, 'broker.js'));
  const { requireKcat, requirePythonModules, PYTHON, CLIENTS_DIR } = await import(join(helpers, 'tools.js'));
  const wire = await import(join(helpers, 'wire.js'));
  requireKcat();
  requirePythonModules('confluent_kafka');

  const children = new Set();
  const tmp = mkdtempSync(join(tmpdir(), 'strand-bench-cluster-'));
  const rows = [];
  const notes = [];

  const dropTopic = async (cluster, topic) => {
    const { clusterKafka } = await import(join(helpers, 'cluster.js'));
    const admin = clusterKafka(cluster, 'strand-bench-admin').admin();
    try {
      await admin.connect();
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    } catch (e) {
      log(`delete ${topic} failed (ignored): ${errText(e)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };

  const controllerOf = async (cluster) => (await cluster.metadata([])).controllerId;

  const latencyRun = async (cluster) => {
    const topic = uniqueTopic('bc-lat');
    await createClusterTopic(cluster, { topic, partitions: 1, replicationFactor: 3, config: TOPIC_CONFIG });
    const args = [join(CLIENTS_DIR, 'confluent_client.py'), 'latency', JSON.stringify({ bootstrap: cluster.bootstrap, topic, rate: 1000, seconds: 10, size: 100, acks: 'all' })];
    const r = await runTimed(children, PYTHON, args, { capMs: 40_000 });
    await dropTopic(cluster, topic);
    if (r.code !== 0) return { note: `python exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };

  const kcatRun = async (cluster, file, size, count, acks) => {
    const topic = uniqueTopic(`bc-k${size}-${acks}`);
    await createClusterTopic(cluster, { topic, partitions: 1, replicationFactor: 3, config: TOPIC_CONFIG });
    const r = await runTimed(children, 'kcat', ['-P', '-b', cluster.bootstrap, '-t', topic, '-p', '0', '-l', '-X', `acks=${acks}`, ...KCAT_PRODUCER_TUNING, file]);
    await dropTopic(cluster, topic);
    if (r.timedOut) return { note: `timeout (> ${RUN_CAP_MS / 1000}s)` };
    if (r.code !== 0 || /Delivery failed|ERROR/i.test(r.stderr)) return { note: `kcat exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}` };
    return { mbps: (size * count) / 1e6 / (r.ms / 1000), rps: count / (r.ms / 1000) };
  };

  const rawRun = async (cluster, size, acks) => {
    const topic = uniqueTopic(`bc-raw${size}-${acks}`);
    // Four partitions, all led by broker 0 (the raw producer talks to one broker), followers spread.
    await createClusterTopic(cluster, { topic, replicaAssignment: [[0, 1, 2], [0, 2, 1], [0, 1, 2], [0, 2, 1]], config: TOPIC_CONFIG });
    const b = cluster.broker(0);
    const opts = { host: b.host, port: b.port, topic, partitions: 4, recordSize: size, acks: acks === 'all' ? -1 : 1, inFlight: 8, maxBytes: 1.5e9, maxMs: 4000 };
    const r = await runTimed(children, process.execPath, [RAW_CLIENTS, 'produce', JSON.stringify(opts)]);
    await dropTopic(cluster, topic);
    if (r.timedOut) return { note: `timeout (> ${RUN_CAP_MS / 1000}s)` };
    if (r.code !== 0) return { note: `raw produce exit ${r.code}: ${r.stderr.trim().split('\n').slice(-1).join('')}` };
    const doc = JSON.parse(r.stdout.trim().split('\n').pop());
    if (doc.errors > 0) return { note: `${doc.errors} produce errors (${doc.firstError})` };
    return { mbps: doc.payloadBytes / 1e3 / doc.ms, rps: doc.records / (doc.ms / 1000) };
  };

  /**
   * One failover: kill -9 the leader of a fresh 1-partition RF=3 topic led by a broker that is
   * not the controller; then every 20 ms ask a surviving broker for Metadata and, once it
   * names a live leader, send it one acks=all Produce. Returns {electedMs, producedMs}.
   */
  const failoverRun = async (cluster, run) => {
    const controller = await controllerOf(cluster);
    const candidates = [0, 1, 2].filter((id) => id !== controller);
    const leaderId = candidates[run % candidates.length];
    const others = [0, 1, 2].filter((id) => id !== leaderId);
    const topic = uniqueTopic(`bc-fo${run}`);
    await createClusterTopic(cluster, { topic, replicaAssignment: [[leaderId, ...others]], config: TOPIC_CONFIG });
    const batch = wire.recordBatch([{ key: null, value: Buffer.from('failover') }], Date.now());
    // Warm: one acks=all produce on the current leader.
    {
      const b = cluster.broker(leaderId);
      const conn = await wire.RawConnection.open(b.host, b.port, 2000);
      const res = wire.parseProduceV3Response(await conn.roundTrip(wire.requestFrame(0, 3, 1, wire.produceV3Body(topic, 0, batch, -1, 5000)), 6000));
      conn.destroy();
      if (res.results[0]?.errorCode !== 0) throw new Error(`warm-up produce failed: ${JSON.stringify(res.results)}`);
    }
    const victim = cluster.broker(leaderId);
    const survivors = others.map((id) => cluster.broker(id));
    const t0 = performance.now();
    await victim.kill9();
    let electedMs = null;
    let producedMs = null;
    let lastErr = '';
    let corr = 10;
    for (let i = 0; producedMs === null; i++) {
      if (performance.now() - t0 > FAILOVER_CAP_MS) throw new Error(`no successful produce ${FAILOVER_CAP_MS} ms after the kill (last: ${lastErr})`);
      const via = survivors[i % survivors.length];
      try {
        const md = await fetchMetadata(via.host, via.port, [topic], 1000);
        const leader = md.topics[0]?.partitions[0]?.leader ?? -1;
        if (leader >= 0 && leader !== leaderId) {
          electedMs ??= performance.now() - t0;
          const nb = cluster.broker(leader);
          const conn = await wire.RawConnection.open(nb.host, nb.port, 1000);
          try {
            const res = wire.parseProduceV3Response(await conn.roundTrip(wire.requestFrame(0, 3, ++corr, wire.produceV3Body(topic, 0, batch, -1, 5000)), 6000));
            const code = res.results[0]?.errorCode;
            if (code === 0) producedMs = performance.now() - t0;
            else lastErr = `produce error ${code}`;
          } finally {
            conn.destroy();
          }
        } else lastErr = `metadata leader ${leader}`;
      } catch (e) {
        lastErr = errText(e);
      }
      if (producedMs === null) await new Promise((r) => setTimeout(r, 20));
    }
    // Back to a healthy cluster before the next run.
    await victim.restart();
    await cluster.waitForBrokers([0, 1, 2], { timeoutMs: 30_000 });
    await cluster.waitForFullIsr(topic, 1, { timeoutMs: 30_000 });
    await dropTopic(cluster, topic);
    return { electedMs, producedMs };
  };

  const failoverSeries = async (cluster, label) => {
    const runs = [];
    for (let i = 0; i < FAILOVER_RUNS; i++) {
      const r = await failoverRun(cluster, i);
      log(`failover ${label} run ${i + 1}: leader elected (visible in Metadata) ${fmt(r.electedMs / 1000, 2)} s, first acks=all produce ${fmt(r.producedMs / 1000, 2)} s`);
      runs.push(r);
    }
    return { produced: median(runs.map((r) => r.producedMs)) / 1000, elected: median(runs.map((r) => r.electedMs)) / 1000, all: runs.map((r) => (r.producedMs / 1000).toFixed(2)) };
  };

  log('waiting for the cluster-test lock');
  await acquireClusterLock(10 * 60_000);
  const lockedAt = Date.now();
  try {
    log('starting nats-server + 3 brokers (default settings)');
    let cluster = await startCluster({ brokers: 3 });
    log(`cluster up: ${cluster.bootstrap}`);

    log('produce latency: 1000 msg/s for 10 s, acks=all, linger.ms=0, RF=3');
    const lat = await latencyRun(cluster);
    if (lat.note) rows.push(['produce latency acks=all (ms)', lat.note, '', '', '']);
    else {
      rows.push([`produce latency p50 ms acks=all (${lat.count} msgs, ${lat.errors} errors)`, fmt(lat.p50, 2), '', '', '']);
      rows.push(['produce latency p99 ms acks=all', fmt(lat.p99, 2), '', '', '']);
    }

    const throughputPair = async (name, runOne) => {
      const r1 = await runOne('1');
      const rAll = await runOne('all');
      const val = (r) => (r.note ? r.note : fmt(r.mbps));
      rows.push([`${name} acks=1 MB/s`, val(r1), '', '', '']);
      const ratio = r1.note || rAll.note ? '-' : `${(rAll.mbps / r1.mbps).toFixed(2)}x`;
      rows.push([`${name} acks=all MB/s`, val(rAll), `acks=1 ${val(r1)}`, ratio, '>= 0.5x']);
      if (!r1.note && !rAll.note) notes.push(`${name}: records/s acks=1 ${fmt(r1.rps, 0)}, acks=all ${fmt(rAll.rps, 0)}`);
    };

    const file = await makeInput(tmp, 1_000_000, 100);
    await throughputPair('produce 100 B (kcat, 1 M records)', async (acks) => {
      log(`produce 1 M x 100 B acks=${acks} (kcat, RF=3)`);
      return kcatRun(cluster, file, 100, 1_000_000, acks);
    });
    rmSync(file, { force: true });
    for (const size of [100, 1024]) {
      await throughputPair(`produce ${size === 1024 ? '1 KiB' : '100 B'} (raw, 4 partitions)`, async (acks) => {
        log(`produce ${size} B acks=${acks} (raw, 4 partitions, ~4 s, RF=3)`);
        return rawRun(cluster, size, acks);
      });
    }

    log(`failover with the default broker.session.timeout.ms (6000): ${FAILOVER_RUNS} runs`);
    const def = await failoverSeries(cluster, 'session 6000 ms');
    await closeClusters();

    const FAST = { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 1000 };
    log('starting a second cluster with broker.session.timeout.ms=3000, broker.heartbeat.interval.ms=1000');
    cluster = await startCluster({ brokers: 3, settings: FAST });
    const fast = await failoverSeries(cluster, 'session 3000 ms');
    await closeClusters();

    rows.push([`failover s, session timeout 6000 ms (median of ${FAILOVER_RUNS})`, fmt(def.produced, 2), `elected ${fmt(def.elected, 2)}`, '', '< 5 s']);
    rows.push([`failover s, session timeout 3000 ms (median of ${FAILOVER_RUNS})`, fmt(fast.produced, 2), `elected ${fmt(fast.elected, 2)}`, '', '']);
    notes.push(`failover runs (s), session 6000 ms: ${def.all.join(', ')}; session 3000 ms: ${fast.all.join(', ')}`);
    notes.push('"elected" = kill -9 until a surviving broker\'s Metadata names the new leader; the value adds the first acks=all Produce to it.');
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await closeClusters().catch(() => undefined);
    releaseClusterLock();
    rmSync(tmp, { recursive: true, force: true });
  }

  const header = ['figure', 'value', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log('\nthree-broker cluster (RF=3, min.insync.replicas=2)');
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
  for (const n of notes) console.log(n);
  console.log(`cluster bench time ${((Date.now() - lockedAt) / 1000).toFixed(1)} s (after getting the cluster lock)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let code = 0;
  try {
    await runClusterBench();
  } catch (err) {
    console.error(`cluster bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    code = 1;
  }
  const { cleanupBrokers } = await import(join(helpers, 'broker.js'));
  await cleanupBrokers();
  process.exit(code);
}
