/**
 * Bad group requests over raw sockets get Kafka's error codes and leave the group usable:
 * JoinGroup with an empty group id (INVALID_GROUP_ID), a session timeout outside
 * group.min/max.session.timeout.ms (INVALID_SESSION_TIMEOUT), SyncGroup with a wrong
 * generation (ILLEGAL_GENERATION). Afterwards the same raw member syncs and heartbeats, leaves
 * with a batched LeaveGroup (v3), and a real kafkajs consumer joins the group and reads.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers } from '../helpers/group-members.js';
import { assignment, findCoordinators, heartbeat, joinAsNewMember, joinGroup, leaveGroup, syncGroup } from '../helpers/group-wire.js';
import { createTopics, withProducer } from '../helpers/kafkajs.js';
import { RawConnection } from '../helpers/wire.js';

const ILLEGAL_GENERATION = 22;
const INVALID_GROUP_ID = 24;
const INVALID_SESSION_TIMEOUT = 26;

let broker: BrokerProcess;
let conn: RawConnection;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 6000, 'group.max.session.timeout.ms': 60_000 } });
  conn = await RawConnection.open(broker.host, broker.port);
});

afterAll(async () => {
  conn?.destroy();
  await killAllMembers();
  await cleanupBrokers();
});

test('bad JoinGroup / SyncGroup get Kafka error codes and the group stays usable', async () => {
  const topic = uniqueTopic('grp-bad');
  await createTopics(broker, [{ topic, numPartitions: 2 }]);
  await withProducer(broker, { idempotent: true }, (p) => p.send({ topic, acks: -1, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }] }));
  const groupId = `${topic}-g`;
  // As every client does first (it also creates __consumer_offsets).
  expect((await findCoordinators(conn, 0, [groupId]))[0]?.errorCode).toBe(0);

  expect((await joinGroup(conn, { groupId: '', topics: [topic] })).errorCode).toBe(INVALID_GROUP_ID);
  expect((await joinGroup(conn, { groupId, sessionTimeoutMs: 1000, topics: [topic] })).errorCode).toBe(INVALID_SESSION_TIMEOUT);
  expect((await joinGroup(conn, { groupId, sessionTimeoutMs: 120_000, topics: [topic] })).errorCode).toBe(INVALID_SESSION_TIMEOUT);

  const joined = await joinAsNewMember(conn, { groupId, topics: [topic] });
  expect(joined).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range' });
  expect(joined.leader).toBe(joined.memberId);
  const mine = assignment(topic, [0, 1]);
  const assignments = [{ memberId: joined.memberId, assignment: mine }];
  const wrong = await syncGroup(conn, { groupId, generationId: joined.generationId + 5, memberId: joined.memberId, assignments });
  expect(wrong.errorCode).toBe(ILLEGAL_GENERATION);

  // Still usable: the right generation syncs and heartbeats.
  const synced = await syncGroup(conn, { groupId, generationId: joined.generationId, memberId: joined.memberId, assignments });
  expect(synced.errorCode).toBe(0);
  expect(synced.assignment.equals(mine)).toBe(true);
  expect(await heartbeat(conn, { groupId, generationId: joined.generationId, memberId: joined.memberId })).toBe(0);
  expect(await heartbeat(conn, { groupId, generationId: joined.generationId + 1, memberId: joined.memberId })).toBe(ILLEGAL_GENERATION);

  // LeaveGroup v3: batched members, each answered.
  const left = await leaveGroup(conn, groupId, [joined.memberId]);
  expect(left).toEqual({ errorCode: 0, members: [{ memberId: joined.memberId, errorCode: 0 }] });

  // A real client joins the same group and reads both partitions.
  const member = new GroupMember('kafkajs-after-bad-input', 'kafkajs', { bootstrap: broker.bootstrap, group: groupId, topic });
  await member.waitUntil('read both records', (m) => m.records.length >= 2, 30_000);
  expect(member.records.map((r) => r.v).sort()).toEqual(['a', 'b']);
  await member.stop();
}, 60_000);
