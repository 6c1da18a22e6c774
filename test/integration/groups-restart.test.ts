/**
 * Committed offsets live in __consumer_offsets, written through the ordinary log: after a
 * kill -9 and restart every committed offset is still there, and a group member resumes
 * from it.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers } from '../helpers/group-members.js';
import { createTopics, withAdmin, withProducer } from '../helpers/kafkajs.js';
import { confluent } from '../helpers/python.js';

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
});

afterAll(async () => {
  await killAllMembers();
  await cleanupBrokers();
});

type Offsets = Record<string, string>;

async function fetchAll(groups: readonly string[], topic: string): Promise<Record<string, Offsets>> {
  return withAdmin(broker, async (admin) => {
    const out: Record<string, Offsets> = {};
    for (const groupId of groups) {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      out[groupId] = Object.fromEntries((t?.partitions ?? []).map((p) => [String(p.partition), p.offset]));
    }
    return out;
  });
}

test('kill -9 and restart: every committed offset is still there', async () => {
  const topic = uniqueTopic('grp-restart');
  await createTopics(broker, [{ topic, numPartitions: 4 }]);
  await withProducer(broker, { idempotent: true }, async (p) => {
    for (let partition = 0; partition < 4; partition++) {
      await p.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ partition, value: `v-${partition}-${i}` })) });
    }
  });

  // Ten groups with simple commits from librdkafka (three rounds each: the last must win).
  const groups = Array.from({ length: 10 }, (_, i) => `${topic}-g${i}`);
  const commits = [1, 2, 3].flatMap((round) =>
    groups.map((group, i) => ({ group, topic, offsets: Object.fromEntries([0, 1, 2, 3].map((p) => [String(p), round * (i + p + 1)])) })),
  );
  const committed = await confluent<{ errors: string[] }>('commit', { bootstrap: broker.bootstrap, commits });
  expect(committed.errors).toEqual([]);
  // And one group whose offsets come from a real librdkafka member reading everything.
  const member = new GroupMember('confluent-reader', 'confluent', { bootstrap: broker.bootstrap, group: `${topic}-real`, topic, commit: 'sync', exit_on_eof: true });
  await member.exited;
  expect(member.records).toHaveLength(200);

  const before = await fetchAll([...groups, `${topic}-real`], topic);
  expect(before[`${topic}-g3`]).toEqual({ '0': '12', '1': '15', '2': '18', '3': '21' });
  expect(before[`${topic}-real`]).toEqual({ '0': '50', '1': '50', '2': '50', '3': '50' });

  await broker.kill9();
  await broker.restart();

  const after = await fetchAll([...groups, `${topic}-real`], topic);
  expect(after).toEqual(before);
  // librdkafka's own view of the committed offsets agrees.
  const seen = await confluent<{ offsets: Record<string, number>; errors: string[] }>('committed', { bootstrap: broker.bootstrap, group: `${topic}-real`, topic, partitions: 4 });
  expect(seen.errors).toEqual([]);
  expect(seen.offsets).toEqual({ '0': 50, '1': 50, '2': 50, '3': 50 });

  // A member of the restarted group resumes at the end: nothing is read again.
  const again = new GroupMember('confluent-again', 'confluent', { bootstrap: broker.bootstrap, group: `${topic}-real`, topic, commit: 'sync', exit_on_eof: true });
  await again.exited;
  expect(again.records).toHaveLength(0);
}, 120_000);
