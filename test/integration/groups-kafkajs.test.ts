/**
 * kafkajs consumer groups against a real broker, each member a separate process so one can
 * leave cleanly (SIGTERM -> LeaveGroup) or die (SIGKILL -> removed only by the session
 * timeout): 3 members share 6 partitions 2/2/2, then 3/3, then one takes all 6. Committed
 * offsets (synchronous commits) make a new member resume exactly where the group stopped.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers, nextOffsets, waitForAssignments } from '../helpers/group-members.js';
import { committedOffsets, createTopics, logEndOffsets, withProducer } from '../helpers/kafkajs.js';

const SESSION_TIMEOUT_MS = 6000;

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
});

afterAll(async () => {
  await killAllMembers();
  await cleanupBrokers();
});

const sorted = (xs: number[][]): number[] => xs.flat().sort((a, b) => a - b);
const ALL6 = [0, 1, 2, 3, 4, 5];

test('3 members split 6 partitions 2/2/2; a leaver leaves 3/3; a killed member is removed after the session timeout', async () => {
  const topic = uniqueTopic('grp-js');
  await createTopics(broker, [{ topic, numPartitions: 6 }]);
  const group = `${topic}-g`;
  const args = { bootstrap: broker.bootstrap, group, topic, sessionTimeout: SESSION_TIMEOUT_MS, commit: 'sync' };
  const members = ['a', 'b', 'c'].map((n) => new GroupMember(`kafkajs-${n}`, 'kafkajs', { ...args, clientId: `member-${n}` }));
  const [a, b, c] = members as [GroupMember, GroupMember, GroupMember];

  const three = await waitForAssignments(members, 'three members with 2 partitions each', (s) => s.every((p) => p.length === 2) && sorted(s).join() === ALL6.join(), 45_000);
  expect(sorted(three)).toEqual(ALL6);

  // A clean leave: the other two take over at once (well within the session timeout).
  const leftAt = Date.now();
  await c.stop();
  const two = await waitForAssignments([a, b], 'two members with 3 partitions each', (s) => s.every((p) => p.length === 3) && sorted(s).join() === ALL6.join(), 20_000);
  expect(sorted(two)).toEqual(ALL6);
  expect(Date.now() - leftAt).toBeLessThan(SESSION_TIMEOUT_MS);

  // A crash: no LeaveGroup, so the survivor gets everything only once b's session expires.
  const killedAt = Date.now();
  await b.kill();
  await waitForAssignments([a], 'the survivor owning all 6 partitions', (s) => (s[0] ?? []).join() === ALL6.join(), SESSION_TIMEOUT_MS + 20_000);
  const took = Date.now() - killedAt;
  expect(took).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS - 1000);
  await a.stop();
}, 120_000);

test('committed offsets: a new member resumes exactly where the group stopped (sync commits: no gap, nothing twice)', async () => {
  const topic = uniqueTopic('grp-js-resume');
  await createTopics(broker, [{ topic, numPartitions: 3 }]);
  const total = 300;
  await withProducer(broker, { idempotent: true }, async (p) => {
    for (let partition = 0; partition < 3; partition++) {
      await p.send({ topic, acks: -1, messages: Array.from({ length: total / 3 }, (_, i) => ({ partition, value: `v-${partition}-${i}` })) });
    }
  });
  const args = { bootstrap: broker.bootstrap, group: `${topic}-g`, topic, sessionTimeout: SESSION_TIMEOUT_MS, commit: 'sync' };

  // The first member stops after exactly this many records on its own (maxRecords), so
  // "stops partway" does not depend on how fast it reads.
  const stopAfter = 100;
  const first = new GroupMember('kafkajs-first', 'kafkajs', { ...args, maxRecords: stopAfter });
  await first.finished(`process ${stopAfter} records, commit and disconnect`, 45_000);
  const firstRecords = first.records;
  expect(firstRecords).toHaveLength(stopAfter);
  for (let p = 0; p < 3; p++) {
    const offsets = firstRecords.filter((e) => e.p === p).map((e) => e.o);
    expect(offsets).toEqual(offsets.map((_, i) => i)); // each partition from 0, no gap
  }
  const committedByFirst = nextOffsets(firstRecords);
  expect(first.events.find((e) => e.event === 'committed')?.offsets).toEqual(committedByFirst);
  const committed = await committedOffsets(broker, args.group, topic);
  for (let p = 0; p < 3; p++) expect(committed[p]).toBe(committedByFirst[p] ?? -1);

  const second = new GroupMember('kafkajs-second', 'kafkajs', args);
  await second.waitUntil(`process the remaining ${total - stopAfter} records`, (m) => m.records.length >= total - stopAfter, 45_000);
  // Give a duplicate delivery the chance to show before judging.
  await new Promise((r) => setTimeout(r, 500));
  await second.stop();
  expect(second.records).toHaveLength(total - stopAfter);

  // The second member resumed each partition exactly at its committed offset and read it to the end.
  for (let p = 0; p < 3; p++) {
    const from = committedByFirst[p] ?? 0;
    expect(second.records.filter((e) => e.p === p).map((e) => e.o)).toEqual(Array.from({ length: total / 3 - from }, (_, i) => from + i));
  }
  const key = (e: { p?: number; o?: number }): string => `${e.p}:${e.o}`;
  const seen = [...firstRecords, ...second.records].map(key);
  expect(new Set(seen).size).toBe(seen.length); // nothing read twice
  expect(seen).toHaveLength(total); // no gap
  expect(await committedOffsets(broker, args.group, topic)).toEqual(await logEndOffsets(broker, topic));
  expect(await logEndOffsets(broker, topic)).toEqual({ '0': total / 3, '1': total / 3, '2': total / 3 });
}, 120_000);
