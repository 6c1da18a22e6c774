/**
 * librdkafka consumer groups: `kcat -G` and confluent-kafka-python consumers in ONE group,
 * with the eager assignors (range, roundrobin) and cooperative-sticky, and two groups that
 * read the same topic independently. group.initial.rebalance.delay.ms (what Kafka has it
 * for) lets both members join the first generation, so each gets half of the partitions.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers, waitForAssignments, type MemberKind } from '../helpers/group-members.js';
import { createTopics, withProducer } from '../helpers/kafkajs.js';

const PARTITIONS = 4;
const PER_PARTITION = 10;
const TOTAL = PARTITIONS * PER_PARTITION;

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 1500 } });
});

afterAll(async () => {
  await killAllMembers();
  await cleanupBrokers();
});

async function topicWithRecords(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopics(broker, [{ topic, numPartitions: PARTITIONS }]);
  await withProducer(broker, { idempotent: true }, async (p) => {
    for (let partition = 0; partition < PARTITIONS; partition++) {
      await p.send({ topic, acks: -1, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition, value: `v-${partition}-${i}` })) });
    }
  });
  return topic;
}

const values = (members: readonly GroupMember[]): string[] => members.flatMap((m) => m.records.map((r) => r.v ?? ''));

const expected = (): string[] => Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: PER_PARTITION }, (_, i) => `v-${p}-${i}`)).flat();

test.each([['range'], ['roundrobin'], ['cooperative-sticky']])(
  'kcat -G and confluent-kafka-python share one group (%s): 2 partitions each, every record read',
  async (strategy) => {
    const topic = await topicWithRecords(`grp-rdk-${strategy}`);
    const args = { bootstrap: broker.bootstrap, group: `${topic}-g`, topic, strategy, commit: 'auto', exit_on_eof: true };
    const kinds: MemberKind[] = ['kcat', 'confluent'];
    const members = kinds.map((k) => new GroupMember(`${k}-${strategy}`, k, args));

    const first = await waitForAssignments(members, 'both members holding 2 partitions', (s) => s.every((p) => p.length === PARTITIONS / 2), 30_000);
    expect(first.flat().sort()).toEqual([0, 1, 2, 3]);
    // Both read their half to the end and leave on their own (-e / exit_on_eof).
    await Promise.all(members.map((m) => m.exited));
    for (const m of members) expect(m.records.length).toBeGreaterThan(0);
    expect([...new Set(values(members))].sort()).toEqual(expected().sort());
  },
  60_000,
);

test('two groups read the same topic independently', async () => {
  const topic = await topicWithRecords('grp-rdk-two');
  const g1 = new GroupMember('kcat-g1', 'kcat', { bootstrap: broker.bootstrap, group: `${topic}-g1`, topic, exit_on_eof: true });
  const g2 = new GroupMember('confluent-g2', 'confluent', { bootstrap: broker.bootstrap, group: `${topic}-g2`, topic, exit_on_eof: true, commit: 'sync' });
  await Promise.all([g1.exited, g2.exited]);
  expect(g1.assignments[0]).toEqual([0, 1, 2, 3]);
  expect(g2.assignments[0]).toEqual([0, 1, 2, 3]);
  expect(values([g1]).sort()).toEqual(expected().sort());
  expect(values([g2]).sort()).toEqual(expected().sort());
}, 60_000);
