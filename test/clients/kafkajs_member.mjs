/**
 * A long-running kafkajs consumer-group member for the group integration tests.
 * Usage: node kafkajs_member.mjs '<json args>' (bootstrap, group, topic, sessionTimeout,
 * commit: "sync" | "auto"). Prints one JSON event per stdout line:
 *   {"event":"assigned","partitions":[...]}   after each completed rebalance
 *   {"event":"record","p":P,"o":O,"v":V}   a record processed; with commit "sync" only after
 *                                           its offset was committed, so "processed" = "committed"
 *   {"event":"closed"}                      left the group (SIGTERM)
 * SIGTERM disconnects (LeaveGroup, as a clean shutdown does); SIGKILL leaves nothing behind.
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
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  consumer
    .disconnect()
    .then(() => out({ event: 'closed' }))
    .finally(() => process.exit(0));
});

await consumer.connect();
await consumer.subscribe({ topic: a.topic, fromBeginning: true });
const sync = a.commit === 'sync';
await consumer.run({
  autoCommit: !sync,
  eachMessage: async ({ topic, partition, message }) => {
    // Shutting down: leave the record unprocessed and uncommitted for the next owner.
    if (stopping) return;
    const o = Number(message.offset);
    if (sync) await consumer.commitOffsets([{ topic, partition, offset: String(o + 1) }]);
    out({ event: 'record', p: partition, o, v: message.value?.toString() ?? null });
  },
});
