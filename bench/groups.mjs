/**
 * Consumer-group bench (called at the end of bench/run.mjs; also runnable alone after a
 * build: `node bench/groups.mjs`). Two figures, each the median of several runs, against a
 * broker started with group.initial.rebalance.delay.ms=0 (Kafka's 3 s default would
 * dominate both):
 *
 *   join -> first record   from a new kafkajs member's JoinGroup request (its sentAt) to
 *                          its first record in eachMessage: FindCoordinator/Join/Sync,
 *                          OffsetFetch, ListOffsets and the first Fetch.
 *   rebalance (10 -> 9)    a 10-member group, one member leaves (LeaveGroup): until all 9
 *                          survivors have rejoined and been given all 10 partitions. Members
 *                          learn of a rebalance from their heartbeats (interval 100 ms here).
 *
 * Baseline: the broker's own request round trip (ApiVersions on one open connection, p50),
 * so each figure also reads as "this many round trips".
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const helpers = join(root, 'dist', 'test', 'helpers');
const JOIN_RUNS = 5;
const REBALANCE_RUNS = 3;
const MEMBERS = 10;
const HEARTBEAT_MS = 100;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const log = (msg) => process.stderr.write(`[bench groups] ${msg}\n`);

async function waitUntil(what, cond, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** p50 of ApiVersions round trips on one connection (the broker's request floor). */
async function requestRtt(broker) {
  const { RawConnection, requestFrame } = await import(join(helpers, 'wire.js'));
  const conn = await RawConnection.open(broker.host, broker.port);
  const times = [];
  try {
    for (let i = 0; i < 300; i++) {
      const t = process.hrtime.bigint();
      await conn.roundTrip(requestFrame(18, 0, i, Buffer.alloc(0)));
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  } finally {
    conn.destroy();
  }
  return median(times.slice(50));
}

async function joinToFirstRecord(kafka, topic, run) {
  const consumer = kafka.consumer({ groupId: `${topic}-join-${run}`, heartbeatInterval: HEARTBEAT_MS, maxWaitTimeInMs: 100 });
  let joinSentAt = 0;
  consumer.on(consumer.events.REQUEST, (e) => {
    if (e.payload.apiName === 'JoinGroup' && joinSentAt === 0) joinSentAt = e.payload.sentAt;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let firstAt = 0;
  await consumer.run({
    eachMessage: async () => {
      if (firstAt === 0) firstAt = Date.now();
    },
  });
  await waitUntil('the first record', () => firstAt !== 0);
  await consumer.disconnect();
  return firstAt - joinSentAt;
}

async function rebalanceAfterLeave(kafka, topic, run) {
  const groupId = `${topic}-rebalance-${run}`;
  const members = Array.from({ length: MEMBERS }, () => {
    const consumer = kafka.consumer({ groupId, heartbeatInterval: HEARTBEAT_MS, sessionTimeout: 10_000, maxWaitTimeInMs: 100 });
    const m = { consumer, joins: 0, partitions: [] };
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.joins += 1;
      m.partitions = e.payload.memberAssignment[topic] ?? [];
    });
    return m;
  });
  await Promise.all(
    members.map(async (m) => {
      await m.consumer.connect();
      await m.consumer.subscribe({ topic, fromBeginning: true });
      await m.consumer.run({ eachMessage: async () => {} });
    }),
  );
  const covered = (ms) => new Set(ms.flatMap((m) => m.partitions)).size === MEMBERS;
  await waitUntil('10 members with one partition each', () => members.every((m) => m.partitions.length === 1) && covered(members), 60_000);
  // Settle: no rebalance in flight when we start the clock.
  await new Promise((r) => setTimeout(r, 1000));
  const [leaver, ...rest] = members;
  const before = rest.map((m) => m.joins);
  const t0 = Date.now();
  await leaver.consumer.disconnect();
  await waitUntil('9 survivors rejoined with all partitions', () => rest.every((m, i) => m.joins > before[i]) && covered(rest), 60_000);
  const took = Date.now() - t0;
  await Promise.all(rest.map((m) => m.consumer.disconnect()));
  return took;
}

/** Runs the group cases; returns table rows [figure, value, baseline, ratio]. */
export async function groupBenchRows() {
  const { startBroker, uniqueTopic } = await import(join(helpers, 'broker.js'));
  const { createTopics, kafkaClient } = await import(join(helpers, 'kafkajs.js'));
  const broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
  try {
    const rtt = await requestRtt(broker);
    const kafka = kafkaClient(broker, 'bench-groups');
    const topic = uniqueTopic('bench-groups');
    await createTopics(broker, [{ topic, numPartitions: MEMBERS }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: MEMBERS }, (_, partition) => ({ partition, value: 'x' })) });
    await producer.disconnect();

    const joins = [];
    for (let i = 0; i < JOIN_RUNS; i++) joins.push(await joinToFirstRecord(kafka, topic, i));
    log(`join -> first record runs (ms): ${joins.join(', ')}`);
    const rebalances = [];
    for (let i = 0; i < REBALANCE_RUNS; i++) rebalances.push(await rebalanceAfterLeave(kafka, topic, i));
    log(`rebalance runs (ms): ${rebalances.join(', ')}`);
    const j = median(joins);
    const r = median(rebalances);
    const base = `request rtt ${rtt.toFixed(3)}`;
    return [
      [`group join -> first record ms (kafkajs, median of ${JOIN_RUNS})`, j.toFixed(0), base, `${(j / rtt).toFixed(0)}x`],
      [`group rebalance 10 -> 9 members ms (heartbeat ${HEARTBEAT_MS} ms, median of ${REBALANCE_RUNS})`, r.toFixed(0), base, `${(r / rtt).toFixed(0)}x`],
    ];
  } finally {
    await broker.stop().catch(() => undefined);
    await broker.cleanup();
  }
}

/** Prints the rows as a table of their own (run.mjs has printed its table already). */
export async function runGroupBench() {
  const rows = await groupBenchRows();
  const header = ['figure', 'value', 'baseline', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log('\nconsumer groups');
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runGroupBench()
    .then(() => process.exit(0))
    .catch((err) => {
      console.error(`group bench failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    });
}
