/**
 * KafkaClient against a real broker process (dist/ must be built: npx tsc -p .).
 */
import { buildBatch } from '../protocol/records/record-codec.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, ListOffsets, type ListOffsetsResponse } from '../protocol/messages/list-offsets.js';
import { Metadata } from '../protocol/messages/metadata.js';
import { Produce, type ProduceResponse } from '../protocol/messages/produce.js';
import { ConfigResourceType } from '../protocol/messages/describe-configs.js';
import { AlterPartitionReassignments } from '../protocol/messages/alter-partition-reassignments.js';
import { ListPartitionReassignments } from '../protocol/messages/list-partition-reassignments.js';
import { ElectLeaders, ElectionType } from '../protocol/messages/elect-leaders.js';
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochResponse } from '../protocol/messages/offset-for-leader-epoch.js';
import { cleanupBrokers, freePort, startBroker, uniqueTopic, type BrokerProcess } from '../../../test/helpers/broker.js';
import { KafkaClient } from './client.js';
import { KafkaConnection } from './connection.js';
import { UnsupportedApiError } from './errors.js';

let broker: BrokerProcess;
let client: KafkaClient;

beforeAll(async () => {
  broker = await startBroker();
  client = new KafkaClient({ bootstrap: [broker.bootstrap], clientId: 'client-test', defaultDeadlineMs: 10_000 });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await cleanupBrokers();
});

async function newTopic(partitions = 1): Promise<string> {
  const name = uniqueTopic('client');
  const [res] = await client.createTopics([{ name, numPartitions: partitions, replicationFactor: 1 }]);
  expect(res?.errorCode).toBe(ErrorCode.NONE);
  return name;
}

function batch(n: number, leaderEpoch: number): Promise<Buffer> {
  const records = Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: 1_700_000_000_000 + i }));
  return buildBatch({ records, partitionLeaderEpoch: leaderEpoch });
}

describe('KafkaClient against a real broker', () => {
  it('negotiates versions: min(our max, broker max) per API', async () => {
    const conn = await KafkaConnection.connect({ host: broker.host, port: broker.port });
    try {
      const t = await conn.negotiateVersions();
      expect(t.apiVersionsVersion).toBe(3);
      const theirs = t.broker.get(Metadata.apiKey);
      expect(t.pick(Metadata)).toBe(Math.min(Metadata.maxVersion, theirs?.maxVersion ?? -1));
      expect(t.pick(Produce)).toBeGreaterThanOrEqual(3);
    } finally {
      await conn.close();
    }
  });

  it('metadata and describeCluster name this broker and a controller', async () => {
    const md = await client.metadata();
    expect(md.brokers.map((b) => b.port)).toContain(broker.port);
    expect(md.controllerId).toBeGreaterThanOrEqual(0);
    const dc = await client.describeCluster();
    expect(dc.controllerId).toBe(md.controllerId);
    expect(dc.brokers.map((b) => b.brokerId)).toContain(md.controllerId);
  });

  it('creates a topic; a second create reports TOPIC_ALREADY_EXISTS per topic', async () => {
    const name = await newTopic(2);
    const md = await client.metadata([name]);
    expect(md.topics[0]?.partitions.length).toBe(2);
    const [again] = await client.createTopics([{ name, numPartitions: 2, replicationFactor: 1 }]);
    expect(again?.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
  });

  it('produces batches and fetches them back byte-identical except the base offset', async () => {
    const topic = await newTopic();
    await client.metadata([topic]);
    const epoch = client.cluster.partition(topic, 0)?.leaderEpoch ?? -1;
    const b1 = await batch(3, epoch);
    const b2 = await batch(2, epoch);
    const r1 = await client.produce(topic, 0, b1, -1);
    const r2 = await client.produce(topic, 0, b2, 1);
    expect([r1?.baseOffset, r2?.baseOffset]).toEqual([0, 3]);

    const f = await client.fetch({ topic, partition: 0, offset: 0 });
    expect(f.highWatermark).toBe(5);
    const records = f.records;
    if (!Buffer.isBuffer(records)) throw new Error('expected a records buffer');
    expect(records.length).toBe(b1.length + b2.length);
    const got1 = records.subarray(0, b1.length);
    const got2 = records.subarray(b1.length);
    expect(got1.readBigInt64BE(0)).toBe(0n);
    expect(got2.readBigInt64BE(0)).toBe(3n);
    expect(got1.subarray(8).equals(b1.subarray(8))).toBe(true);
    expect(got2.subarray(8).equals(b2.subarray(8))).toBe(true);

    expect(await client.listOffsets(topic, 0, EARLIEST_TIMESTAMP)).toMatchObject({ offset: 0 });
    expect(await client.listOffsets(topic, 0, LATEST_TIMESTAMP)).toMatchObject({ offset: 5 });
  });

  it('acks=0 produce resolves null and the data still lands', async () => {
    const topic = await newTopic();
    expect(await client.produce(topic, 0, await batch(1, -1), 0)).toBeNull();
    const deadline = Date.now() + 5000;
    while ((await client.listOffsets(topic, 0, LATEST_TIMESTAMP)).offset < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await client.listOffsets(topic, 0)).offset).toBe(1);
  });

  it('pipelines 100 requests on one connection; produce order is preserved', async () => {
    const topic = await newTopic();
    const md = await client.metadata([topic]);
    const conn = await KafkaConnection.connect({ host: broker.host, port: broker.port, maxInFlight: 100 });
    try {
      const version = (await conn.negotiateVersions()).pick(Produce);
      const b = await batch(1, md.topics[0]?.partitions[0]?.leaderEpoch ?? -1);
      const body = { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: b }] }] };
      const all = await Promise.all(Array.from({ length: 100 }, () => conn.request<ProduceResponse>(Produce, version, body)));
      expect(all.map((r) => r.responses[0]?.partitionResponses[0]?.baseOffset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      const lo = (await conn.negotiateVersions()).pick(ListOffsets);
      const q = { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: LATEST_TIMESTAMP }] }] };
      const offs = await Promise.all(Array.from({ length: 100 }, () => conn.request<ListOffsetsResponse>(ListOffsets, lo, q)));
      expect(new Set(offs.map((r) => r.topics[0]?.partitions[0]?.offset))).toEqual(new Set([100]));
    } finally {
      await conn.close();
    }
  });

  it('describes and incrementally alters topic configs', async () => {
    const topic = await newTopic();
    const res = { type: ConfigResourceType.TOPIC, name: topic };
    const [altered] = await client.incrementalAlterConfigs([{ ...res, ops: [{ name: 'retention.ms', op: 'set', value: '123456' }] }]);
    expect(altered?.errorCode).toBe(ErrorCode.NONE);
    const [described] = await client.describeConfigs([{ ...res, keys: ['retention.ms'] }]);
    expect(described?.errorCode).toBe(ErrorCode.NONE);
    expect(described?.configs.find((c) => c.name === 'retention.ms')?.value).toBe('123456');
    const [reset] = await client.incrementalAlterConfigs([{ ...res, ops: [{ name: 'retention.ms', op: 'delete' }] }]);
    expect(reset?.errorCode).toBe(ErrorCode.NONE);
    const [missing] = await client.describeConfigs([{ type: ConfigResourceType.TOPIC, name: uniqueTopic('nope') }]);
    expect(missing?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('createPartitions grows a topic; a stale partition map is refreshed on the next produce', async () => {
    const topic = await newTopic(1);
    await client.metadata([topic]); // cache: 1 partition
    const other = new KafkaClient({ bootstrap: [broker.bootstrap] });
    try {
      const [r] = await other.createPartitions([{ topic, count: 3 }]);
      expect(r?.errorCode).toBe(ErrorCode.NONE);
    } finally {
      await other.close();
    }
    // client still believes there is 1 partition: UNKNOWN_TOPIC_OR_PARTITION -> refresh -> retry.
    const res = await client.produce(topic, 2, await batch(1, -1), 1);
    expect(res?.baseOffset).toBe(0);
  });

  it('deletes a topic; producing to it then fails with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const topic = await newTopic();
    const [d] = await client.deleteTopics([topic]);
    expect(d?.errorCode).toBe(ErrorCode.NONE);
    const md = await client.metadata([topic]);
    expect(md.topics[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const err = await client.produce(topic, 0, await batch(1, -1), 1, { deadlineMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('send() and dedicatedConnection() reach a broker by id', async () => {
    const topic = await newTopic();
    const md = await client.metadata([topic]);
    const leader = md.topics[0]?.partitions[0]?.leaderId ?? -1;
    const q = { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: EARLIEST_TIMESTAMP }] }] };
    const res = await client.send<ListOffsetsResponse>(leader, ListOffsets, null, q);
    expect(res.topics[0]?.partitions[0]?.offset).toBe(0);
    const conn = await client.dedicatedConnection(leader);
    try {
      expect(conn.versions?.supports(Produce)).toBe(true);
      if (conn.versions?.supports(OffsetForLeaderEpoch)) {
        const v = conn.versions.pick(OffsetForLeaderEpoch);
        const olep = await conn.request<OffsetForLeaderEpochResponse>(OffsetForLeaderEpoch, v, {
          replicaId: -1,
          topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
        });
        expect(olep.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.NONE);
      }
    } finally {
      await conn.close();
    }
  });

  it('reassignment and election calls: used when offered, UnsupportedApiError when not', async () => {
    const conn = await KafkaConnection.connect({ host: broker.host, port: broker.port });
    const t = await conn.negotiateVersions();
    await conn.close();
    const topic = await newTopic();
    const calls: Array<[boolean, () => Promise<unknown>]> = [
      [t.supports(ListPartitionReassignments), () => client.listPartitionReassignments()],
      [t.supports(AlterPartitionReassignments), () => client.alterPartitionReassignments([{ topic, partition: 0, replicas: null }])],
      [t.supports(ElectLeaders), () => client.electLeaders(ElectionType.PREFERRED, [{ topic, partition: 0 }])],
    ];
    for (const [supported, call] of calls) {
      if (supported) await expect(call()).resolves.toBeDefined();
      else await expect(call()).rejects.toBeInstanceOf(UnsupportedApiError);
    }
  });

  it('skips an unreachable bootstrap address', async () => {
    const dead = await freePort();
    const c = new KafkaClient({ bootstrap: [`127.0.0.1:${dead}`, broker.bootstrap], connectTimeoutMs: 1000 });
    try {
      expect((await c.metadata()).brokers.length).toBeGreaterThan(0);
    } finally {
      await c.close();
    }
  });
});
