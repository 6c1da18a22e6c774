/**
 * A long-running kafkajs consumer-group member for the group integration tests.
 * Usage: node kafkajs_member.mjs '<json args>' (bootstrap, group, topic, sessionTimeout,
 * commit: "sync" | "auto", maxRecords). Prints one JSON event per stdout line:
 *   {"event":"assigned","partitions":[...]}   after each completed rebalance
 *   {"event":"record","p":P,"o":O,"v":V}   a record processed; with commit "sync" only after
 *                                           its offset was committed, so "processed" = "committed"
 *   {"event":"committed","offsets":{"P":O}} maxRecords reached: these offsets (next to read,
 *                                           per partition) were committed
 *   {"event":"closed"}                      left the group (SIGTERM, or maxRecords reached)
 * SIGTERM disconnects (LeaveGroup, as a clean shutdown does); SIGKILL leaves nothing behind.
 * maxRecords: process exactly that many records, commit their offsets, disconnect cleanly and
 * exit 0 (a deterministic "stop partway", independent of timing).
 */
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const a = JSON.parse(process.argv[2]);
const out = (doc) => process.stdout.write(JSON.stringify(doc) + '\n');

const kafka = new Kafka({ clientId: a.clientId ?? 'kafkajs-member', brokers: [a.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
const consumer = kafka.consumer({
  groupId: a.group,
  sessionTimeout: a.sessionTimeout ?? 6000,
  rebalanceTimeout: a.rebalanceTimeout ?? 10000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  out({ event: 'assigned', partitions: [...(e.payload.memberAssignment[a.topic] ?? [])].sort((x, y) => x - y) });
});
consumer.on(consumer.events.CRASH, (e) => out({ event: 'crash', error: String(e.payload.error) }));

let stopping = false;
const maxRecords = typeof a.maxRecords === 'number' ? a.maxRecords : null;
let count = 0;
const shutdown = (before = async () => undefined) => {
  if (stopping) return;
  stopping = true;
  before()
    .then(() => consumer.disconnect())
    .then(() => out({ event: 'closed' }))
    .then(
      () => process.exit(0),
      (err) => {
        out({ event: 'crash', error: String(err) });
        // SIGTERM exits 0 as before; a failed commit at maxRecords is a failure.
        process.exit(maxRecords !== null && count >= maxRecords ? 1 : 0);
      },
    );
};
process.on('SIGTERM', () => shutdown());

await consumer.connect();
await consumer.subscribe({ topic: a.topic, fromBeginning: true });
const sync = a.commit === 'sync';
const processed = new Map(); // partition -> next offset to read (last processed + 1)
await consumer.run({
  autoCommit: !sync,
  eachMessage: async ({ topic, partition, message }) => {
    // Shutting down: leave the record unprocessed and uncommitted for the next owner.
    if (stopping) return;
    const o = Number(message.offset);
    if (sync) await consumer.commitOffsets([{ topic, partition, offset: String(o + 1) }]);
    out({ event: 'record', p: partition, o, v: message.value?.toString() ?? null });
    processed.set(partition, o + 1);
    count += 1;
    if (maxRecords !== null && count >= maxRecords) {
      // Not awaited: disconnect waits for this handler to return. Later eachMessage calls see
      // `stopping` and leave their records unprocessed and uncommitted.
      shutdown(async () => {
        const offsets = [...processed].sort(([x], [y]) => x - y);
        await consumer.commitOffsets(offsets.map(([p, next]) => ({ topic: a.topic, partition: p, offset: String(next) })));
        out({ event: 'committed', offsets: Object.fromEntries(offsets.map(([p, next]) => [String(p), next])) });
      });
    }
  },
});
