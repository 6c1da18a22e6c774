/**
 * kafka-python group commit and resume (the first member stops after exactly N records, so the
 * hand-over point does not depend on timing), and static membership (KIP-345) with
 * confluent-kafka-python: a member restarted with the same group.instance.id inside its
 * session timeout gets its partitions back and the group does not rebalance.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers, nextOffsets, waitForAssignments, type MemberEvent } from '../helpers/group-members.js';
import { committedOffsets, createTopics, logEndOffsets, withProducer } from '../helpers/kafkajs.js';
import { sleep } from '../helpers/wait.js';

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 1000 } });
});

afterAll(async () => {
  await killAllMembers();
  await cleanupBrokers();
});

async function topicWithRecords(prefix: string, partitions: number, perPartition: number): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopics(broker, [{ topic, numPartitions: partitions }]);
  await withProducer(broker, { idempotent: true }, async (p) => {
    for (let partition = 0; partition < partitions; partition++) {
      await p.send({ topic, acks: -1, messages: Array.from({ length: perPartition }, (_, i) => ({ partition, value: `v-${partition}-${i}` })) });
    }
  });
  return topic;
}

const key = (e: MemberEvent): string => `${e.p}:${e.o}`;

test('kafka-python: a group member commits, stops, and the next member resumes at the committed offsets', async () => {
  const total = 90;
  const perPartition = total / 3;
  // The first member stops after exactly this many records on its own (max_records), so
  // "stops partway" does not depend on how fast it reads.
  const stopAfter = 40;
  const topic = await topicWithRecords('grp-kpy', 3, perPartition);
  const group = `${topic}-g`;
  const args = { bootstrap: broker.bootstrap, group, topic, commit: 'sync', session_timeout_ms: 10_000 };

  const first = new GroupMember('kafka-python-first', 'kafka-python', { ...args, max_records: stopAfter });
  await first.finished(`process ${stopAfter} records, commit and close`, 60_000);
  const done = first.records;
  expect(done).toHaveLength(stopAfter);
  // A single member owns every partition: it read each from 0 with no gap.
  for (let p = 0; p < 3; p++) {
    const offsets = done.filter((e) => e.p === p).map((e) => e.o);
    expect(offsets).toEqual(offsets.map((_, i) => i));
  }
  const committedByFirst = nextOffsets(done);
  expect(first.events.find((e) => e.event === 'committed')?.offsets).toEqual(committedByFirst);
  const committed = await committedOffsets(broker, group, topic);
  for (let p = 0; p < 3; p++) expect(committed[p]).toBe(committedByFirst[p] ?? -1);

  const second = new GroupMember('kafka-python-second', 'kafka-python', args);
  await second.waitUntil(`process the other ${total - stopAfter}`, (m) => m.records.length >= total - stopAfter, 60_000);
  // Give a duplicate delivery the chance to show before judging.
  await sleep(500);
  await second.stop();
  expect(second.records).toHaveLength(total - stopAfter);

  // The second member resumed each partition exactly at its committed offset and read it to the end.
  for (let p = 0; p < 3; p++) {
    const from = committedByFirst[p] ?? 0;
    expect(second.records.filter((e) => e.p === p).map((e) => e.o)).toEqual(Array.from({ length: perPartition - from }, (_, i) => from + i));
  }
  const seen = [...done, ...second.records].map(key);
  expect(new Set(seen).size).toBe(seen.length); // nothing read twice
  expect(seen).toHaveLength(total); // no gap
  expect(await committedOffsets(broker, group, topic)).toEqual(await logEndOffsets(broker, topic));
  expect(await logEndOffsets(broker, topic)).toEqual({ '0': perPartition, '1': perPartition, '2': perPartition });
}, 120_000);

test('static membership: a restarted member with the same group.instance.id gets the same partitions without a rebalance', async () => {
  const topic = await topicWithRecords('grp-static', 4, 5);
  const base = { bootstrap: broker.bootstrap, group: `${topic}-g`, topic, strategy: 'range', session_timeout_ms: 30_000, commit: 'auto' };
  const a = new GroupMember('static-a', 'confluent', { ...base, instance_id: 'instance-a' });
  const b = new GroupMember('static-b', 'confluent', { ...base, instance_id: 'instance-b' });
  const [aParts, bParts] = await waitForAssignments([a, b], 'two static members with 2 partitions each', (s) => s.every((p) => p.length === 2), 30_000);
  const bAssignmentsBefore = b.assignments.length;
  const rebalances = (): number => broker.logLines().filter((l) => l.msg === 'preparing to rebalance group' && l.groupId === base.group).length;
  const rebalancesBefore = rebalances();

  // Crash a: a static member is not removed until its session times out (30 s here).
  await a.kill();
  const a2 = new GroupMember('static-a-restarted', 'confluent', { ...base, instance_id: 'instance-a' });
  await a2.waitUntil('get an assignment', (m) => (m.assignment ?? []).length > 0, 20_000);
  expect(a2.assignment).toEqual(aParts);
  // b keeps its partitions and is never told to rebalance.
  await sleep(2000);
  expect(b.assignment).toEqual(bParts);
  expect(b.assignments.length).toBe(bAssignmentsBefore);
  expect(a2.assignments).toHaveLength(1);
  expect(rebalances()).toBe(rebalancesBefore);
}, 90_000);
