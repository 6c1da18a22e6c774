/**
 * Group administration from real clients and raw requests: confluent-kafka-python lists and
 * describes groups (its 1.7.0 AdminClient has list_groups, which describes too, but no
 * delete_consumer_groups or offset deletion, so those go through kafkajs admin deleteGroups
 * and a raw OffsetDelete request); ListGroups v4's state filter, FindCoordinator v4 and
 * OffsetFetch v8 batched forms over raw sockets; __consumer_offsets is internal.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { GroupMember, killAllMembers, waitForAssignments } from '../helpers/group-members.js';
import { findCoordinators, listGroups, offsetDelete, offsetFetchGroups } from '../helpers/group-wire.js';
import { createTopics, withAdmin, withProducer } from '../helpers/kafkajs.js';
import { confluent } from '../helpers/python.js';
import { RawConnection, metadataProbe } from '../helpers/wire.js';

interface ListedGroups {
  groups: Array<{ id: string; error: string | null; state: string; protocol_type: string; protocol: string; members: Array<{ id: string; client_id: string; client_host: string; assignment_bytes: number }> }>;
}

const NON_EMPTY_GROUP = 68;
const COORDINATOR_NOT_AVAILABLE = 15;

let broker: BrokerProcess;
let conn: RawConnection;

beforeAll(async () => {
  broker = await startBroker({ settings: { 'group.initial.rebalance.delay.ms': 0 } });
  conn = await RawConnection.open(broker.host, broker.port);
});

afterAll(async () => {
  conn?.destroy();
  await killAllMembers();
  await cleanupBrokers();
});

test('list, describe and delete groups; delete one partition’s offsets; a non-empty group cannot be deleted', async () => {
  const topic = uniqueTopic('grp-admin');
  await createTopics(broker, [{ topic, numPartitions: 2 }]);
  const busy = `${topic}-busy`;
  const idle = `${topic}-idle`;
  const bootstrap = broker.bootstrap;
  const committed = await confluent<{ errors: string[] }>('commit', {
    bootstrap,
    commits: [{ group: idle, topic, offsets: { '0': 5, '1': 7 } }],
  });
  expect(committed.errors).toEqual([]);
  const member = new GroupMember('busy-member', 'confluent', { bootstrap, group: busy, topic, strategy: 'range' });
  await waitForAssignments([member], 'the busy group to be Stable', (s) => (s[0] ?? []).length === 2, 30_000);

  const all = await confluent<ListedGroups>('list_groups', { bootstrap });
  const byId = new Map(all.groups.map((g) => [g.id, g]));
  expect(byId.get(busy)).toMatchObject({ error: null, state: 'Stable', protocol_type: 'consumer', protocol: 'range' });
  expect(byId.get(idle)).toMatchObject({ error: null, state: 'Empty', members: [] });
  const described = await confluent<ListedGroups>('list_groups', { bootstrap, group: busy });
  expect(described.groups).toHaveLength(1);
  const m = described.groups[0]?.members ?? [];
  expect(m).toHaveLength(1);
  expect(m[0]?.client_host).toBe('/127.0.0.1');
  expect(m[0]?.assignment_bytes).toBeGreaterThan(0);

  // ListGroups v4: the state filter.
  const empty = await listGroups(conn, ['Empty']);
  expect(empty.errorCode).toBe(0);
  expect(empty.groups.map((g) => g.groupId)).toContain(idle);
  expect(empty.groups.map((g) => g.groupId)).not.toContain(busy);
  expect((await listGroups(conn, ['Stable'])).groups).toContainEqual({ groupId: busy, state: 'Stable' });

  // Delete one partition's offsets of the idle group (OffsetDelete), keeping the other.
  const del = await offsetDelete(conn, idle, topic, [0]);
  expect(del).toEqual({ errorCode: 0, partitions: { 0: 0 } });
  await withAdmin(broker, async (admin) => {
    const [t] = await admin.fetchOffsets({ groupId: idle, topics: [topic] });
    expect(Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]))).toEqual({ 0: '-1', 1: '7' });

    // A group with a live member is not deleted; an empty one is.
    const failed = await admin.deleteGroups([busy]).catch((e: { groups?: Array<{ groupId: string; errorCode: number }> }) => e.groups ?? []);
    expect(failed).toEqual([expect.objectContaining({ groupId: busy, errorCode: NON_EMPTY_GROUP })]);
    const deleted = await admin.deleteGroups([idle]);
    expect(deleted).toEqual([expect.objectContaining({ groupId: idle, errorCode: 0 })]);
  });
  const after = await confluent<ListedGroups>('list_groups', { bootstrap });
  expect(after.groups.map((g) => g.id)).not.toContain(idle);
  expect(after.groups.map((g) => g.id)).toContain(busy);
  await member.stop();
}, 90_000);

test('FindCoordinator v4 batches keys; OffsetFetch v8 answers several groups at once', async () => {
  const found = await findCoordinators(conn, 0, ['g-one', 'g-two']);
  expect(found).toEqual([
    { key: 'g-one', nodeId: 0, host: broker.host, port: broker.port, errorCode: 0 },
    { key: 'g-two', nodeId: 0, host: broker.host, port: broker.port, errorCode: 0 },
  ]);
  // No transaction coordinator yet.
  expect((await findCoordinators(conn, 1, ['txn']))[0]?.errorCode).toBe(COORDINATOR_NOT_AVAILABLE);

  const topic = uniqueTopic('grp-of8');
  await createTopics(broker, [{ topic, numPartitions: 1 }]);
  await confluent('commit', { bootstrap: broker.bootstrap, commits: [{ group: `${topic}-a`, topic, offsets: { '0': 3 } }, { group: `${topic}-b`, topic, offsets: { '0': 9 } }] });
  const r = await offsetFetchGroups(conn, [`${topic}-a`, `${topic}-b`]);
  expect(r).toEqual({ [`${topic}-a`]: { errorCode: 0, offsets: { [`${topic}:0`]: 3 } }, [`${topic}-b`]: { errorCode: 0, offsets: { [`${topic}:0`]: 9 } } });
}, 60_000);

test('__consumer_offsets is internal: Metadata says so, clients cannot produce to it or delete it', async () => {
  const md = await metadataProbe(broker.host, broker.port, ['__consumer_offsets']);
  expect(md.topics).toEqual([{ errorCode: 0, name: '__consumer_offsets', partitions: 50, internal: true }]);
  await withAdmin(broker, async (admin) => {
    const md = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
    expect(md.topics[0]?.partitions).toHaveLength(50);
    await expect(admin.deleteTopics({ topics: ['__consumer_offsets'], timeout: 5000 })).rejects.toThrow();
    expect((await admin.listTopics()).includes('__consumer_offsets')).toBe(true);
  });
  const listed = await confluent<{ topics: Record<string, { error: string | null }> }>('list_topics', { bootstrap: broker.bootstrap, topic: '__consumer_offsets' });
  expect(listed.topics.__consumer_offsets?.error ?? null).toBeNull();
  await withProducer(broker, { retry: { retries: 0 } }, async (p) => {
    await expect(p.send({ topic: '__consumer_offsets', acks: -1, messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'INVALID_TOPIC_EXCEPTION' });
  });
}, 60_000);
