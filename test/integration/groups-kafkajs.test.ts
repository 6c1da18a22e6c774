/**
 * kafkajs consumer groups against a real broker, each member a separate process so one can
 * leave cleanly (SIGTERM -> LeaveGroup) or die (SIGKILL -> removed only by the session
 * timeout): 3 members share 6 partitions 2/2/2, then 3/3, then one takes all 6. Committed
 * offsets (synchronous commits) make a new member resume exactly where the group stopped.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers, waitForAssignments } from '../helpers/group-members.js';
import { createTopics, withProducer } from '../helpers/kafkajs.js';

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

  const first = new GroupMember('kafkajs-first', 'kafkajs', args);
  await first.waitUntil('process 100 records', (m) => m.records.length >= 100, 45_000);
  await first.stop();
  const firstRecords = first.records;
  expect(firstRecords.length).toBeLessThan(total);

  const second = new GroupMember('kafkajs-second', 'kafkajs', args);
  await second.waitUntil(`process the remaining ${total - firstRecords.length} records`, (m) => m.records.length >= total - firstRecords.length, 45_000);
  // Give a duplicate delivery the chance to show before judging.
  await new Promise((r) => setTimeout(r, 500));
  await second.stop();

  const key = (e: { p?: number; o?: number }): string => `${e.p}:${e.o}`;
  const seen = [...firstRecords, ...second.records].map(key);
  expect(new Set(seen).size).toBe(seen.length); // nothing read twice
  expect(seen).toHaveLength(total); // no gap
  for (let p = 0; p < 3; p++) {
    const done = firstRecords.filter((e) => e.p === p).map((e) => e.o ?? -1);
    const resumed = second.records.filter((e) => e.p === p).map((e) => e.o ?? -1);
    const next = done.length === 0 ? 0 : Math.max(...done) + 1;
    if (resumed.length > 0) expect(Math.min(...resumed)).toBe(next);
  }
}, 120_000);
