/**
 * /metrics and the /v1 views of a real broker process, driven by real clients: kcat produces
 * and consumes, a kafkajs consumer group commits part of a topic. Checks exact counts
 * (records in/out, LEO, HW, lag = what the group has not committed), promtool's verdict on
 * the real output, OpenMetrics negotiation, 404s, and the partition-label switch.
 */
import { cleanupBrokers, startBroker, uniqueTopic, type BrokerProcess } from '../helpers/broker.js';
import { httpGet, httpJson, promtoolCheckMetrics, sampleValue, scrape } from '../helpers/http.js';
import { createTopics, kafkaClient } from '../helpers/kafkajs.js';
import { kcatOk, requireKcat } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const SETTINGS = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3, 'offsets.topic.replication.factor': 1 };

let broker: BrokerProcess;

beforeAll(async () => {
  requireKcat();
  broker = await startBroker({ settings: SETTINGS });
});

afterAll(async () => {
  await cleanupBrokers();
});

function lines(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`).join('\n') + '\n';
}

async function produce(topic: string, partition: number, n: number, prefix: string): Promise<void> {
  // acks=all, batched: several produce requests, so the count is summed across batches.
  await kcatOk(['-P', '-b', broker.bootstrap, '-t', topic, '-p', String(partition), '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=100'], lines(n, prefix));
}

describe('GET /metrics on a running broker', () => {
  test('produce N records: exactly N more records in for the topic, LEO and HW right; records out after a consume', async () => {
    const topic = uniqueTopic('http-in');
    await createTopics(broker, [{ topic, numPartitions: 1 }]);
    await produce(topic, 0, 300, 'a');
    const before = await scrape(broker);
    expect(sampleValue(before, 'strand_topic_records_in_total', { topic })).toBe(300);

    await produce(topic, 0, 1234, 'b');
    const after = await scrape(broker);
    const tp = { topic, partition: '0' };
    expect((sampleValue(after, 'strand_topic_records_in_total', { topic }) ?? 0) - (sampleValue(before, 'strand_topic_records_in_total', { topic }) ?? 0)).toBe(1234);
    expect(sampleValue(after, 'strand_topic_bytes_in_total', { topic })).toBeGreaterThan(1234 * 'b-0'.length);
    expect(sampleValue(after, 'strand_partition_log_end_offset', tp)).toBe(1534);
    expect(sampleValue(after, 'strand_partition_high_watermark', tp)).toBe(1534);
    expect(sampleValue(after, 'strand_partition_log_start_offset', tp)).toBe(0);
    expect(sampleValue(after, 'strand_partition_leader', tp)).toBe(1);
    expect(sampleValue(after, 'strand_partition_in_sync_replicas', tp)).toBe(1);
    expect(sampleValue(after, 'strand_partition_size_bytes', tp)).toBe(sampleValue(after, 'strand_topic_bytes_in_total', { topic }));
    expect(sampleValue(after, 'strand_requests_total', { api: 'Produce' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(after, 'strand_request_errors_total', { api: 'Produce', error_code: '0' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(after, 'strand_request_total_time_seconds_count', { api: 'Produce' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(after, 'strand_request_queue_time_seconds_count', { api: 'Produce' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(after, 'strand_connections_accepted_total')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(after, 'strand_connections_open')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(after.find((s) => s.name === 'strand_broker_info')?.labels).toMatchObject({ node_id: '0', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });

    const out = await kcatOk(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
    expect(out.stdout.toString().split('\n').filter((l) => l !== '')).toHaveLength(1534);
    const read = await scrape(broker);
    expect(sampleValue(read, 'strand_topic_records_out_total', { topic })).toBe(1534);
    expect(sampleValue(read, 'strand_topic_bytes_out_total', { topic })).toBe(sampleValue(read, 'strand_topic_bytes_in_total', { topic }));
  });

  test("a consumer group's lag equals what it has not committed (metrics and /v1/groups)", async () => {
    const topic = uniqueTopic('http-lag');
    const groupId = uniqueTopic('http-group');
    await createTopics(broker, [{ topic, numPartitions: 2 }]);
    await produce(topic, 0, 40, 'p0');
    await produce(topic, 1, 25, 'p1');

    const consumer = kafkaClient(broker, 'strand-http-lag').consumer({ groupId, heartbeatInterval: 500, sessionTimeout: 10_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let seen = 0;
      await consumer.run({
        autoCommit: false,
        eachMessage: async () => {
          seen += 1;
        },
      });
      await waitFor('the consumer to read all 65 records', () => seen >= 65, { timeoutMs: 20_000 });
      // Commit only part of what was read: 15 of 40 on p0, 25 of 25 on p1.
      await consumer.commitOffsets([
        { topic, partition: 0, offset: '15' },
        { topic, partition: 1, offset: '25' },
      ]);

      const s = await scrape(broker);
      const p0 = { group: groupId, topic, partition: '0' };
      const p1 = { group: groupId, topic, partition: '1' };
      expect(sampleValue(s, 'strand_consumer_group_committed_offset', p0)).toBe(15);
      expect(sampleValue(s, 'strand_consumer_group_lag', p0)).toBe(25);
      expect(sampleValue(s, 'strand_consumer_group_committed_offset', p1)).toBe(25);
      expect(sampleValue(s, 'strand_consumer_group_lag', p1)).toBe(0);
      expect(sampleValue(s, 'strand_consumer_group_members', { group: groupId })).toBe(1);
      expect(sampleValue(s, 'strand_consumer_group_state', { group: groupId, state: 'Stable' })).toBe(1);
      expect(sampleValue(s, 'strand_consumer_group_state', { group: groupId, state: 'Empty' })).toBe(0);

      interface GroupJson {
        groupId: string;
        state: string;
        protocolType: string | null;
        members: unknown[];
        offsets: { topic: string; partition: number; committedOffset: number; lag: number | null }[];
      }
      const { status, json } = await httpJson<{ groups: GroupJson[] }>(broker, '/v1/groups');
      expect(status).toBe(200);
      const g = json.groups.find((x) => x.groupId === groupId);
      expect(g).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
      expect(g?.members).toHaveLength(1);
      expect([...(g?.offsets ?? [])].sort((a, b) => a.partition - b.partition)).toEqual([
        { topic, partition: 0, committedOffset: 15, lag: 25 },
        { topic, partition: 1, committedOffset: 25, lag: 0 },
      ]);
      const one = await httpJson<GroupJson>(broker, `/v1/groups/${encodeURIComponent(groupId)}`);
      expect(one.status).toBe(200);
      expect(one.json.groupId).toBe(groupId);
    } finally {
      await consumer.disconnect();
    }
  });

  test('promtool check metrics finds no problems in the real output (after traffic of every kind above)', async () => {
    const r = await httpGet(broker, '/metrics');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(promtoolCheckMetrics(r.body)).toEqual({ status: 0, output: '' });
  });

  test('OpenMetrics when asked for it', async () => {
    const r = await httpGet(broker, '/metrics', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/openmetrics-text/);
    expect(r.body.trimEnd().endsWith('# EOF')).toBe(true);
  });
});

describe('/v1 views', () => {
  test('cluster, brokers, topics, one topic; unknown names are 404', async () => {
    const topic = uniqueTopic('http-view');
    await createTopics(broker, [{ topic, numPartitions: 2 }]);
    await produce(topic, 1, 7, 'v');

    const cluster = await httpJson<Record<string, unknown>>(broker, '/v1/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.json).toMatchObject({ nodeId: 0, controllerId: 0, isController: true, brokers: 1, offlinePartitions: 0, underReplicatedPartitions: 0 });

    const brokers = await httpJson<{ brokers: { id: number; port: number; isSelf: boolean }[] }>(broker, '/v1/brokers');
    expect(brokers.json.brokers).toEqual([expect.objectContaining({ id: 0, port: broker.port, isSelf: true })]);

    const topics = await httpJson<{ topics: { name: string; partitions: number }[] }>(broker, '/v1/topics');
    expect(topics.json.topics).toContainEqual(expect.objectContaining({ name: topic, partitions: 2 }));

    const one = await httpJson<{ partitionDetails: { partition: number; local: { logEndOffset: number; highWatermark: number } | null }[] }>(broker, `/v1/topics/${topic}`);
    expect(one.status).toBe(200);
    expect(one.json.partitionDetails.map((p) => [p.partition, p.local?.logEndOffset, p.local?.highWatermark])).toEqual([
      [0, 0, 0],
      [1, 7, 7],
    ]);

    for (const path of ['/v1/topics/no-such-topic', '/v1/groups/no-such-group', '/v1/nothing-here']) {
      const r = await httpJson<{ error: string }>(broker, path);
      expect([path, r.status, r.json.error]).toEqual([path, 404, 'not_found']);
    }
  });
});

describe('metrics.partition.labels=false', () => {
  test('per-partition gauges are summed per topic without a partition label; flush latency observed', async () => {
    // Small segments roll, and rolled segments are fdatasync'd within a second: flush latency.
    const b = await startBroker({ settings: { ...SETTINGS, 'metrics.partition.labels': false, 'log.segment.bytes': 1024 } });
    const topic = uniqueTopic('http-nolabels');
    await createTopics(b, [{ topic, numPartitions: 2 }]);
    await kcatOk(['-P', '-b', b.bootstrap, '-t', topic, '-p', '0', '-X', 'batch.num.messages=10'], lines(200, 'x'));
    await kcatOk(['-P', '-b', b.bootstrap, '-t', topic, '-p', '1'], lines(8, 'y'));
    const r = await httpGet(b, '/metrics');
    expect(r.body).not.toMatch(/^strand_partition_\w+\{[^}]*partition=/m);
    const s = (await scrape(b)).filter((x) => x.labels.topic === topic);
    expect(sampleValue(s, 'strand_partition_log_end_offset', { topic })).toBe(208);
    expect(sampleValue(s, 'strand_partition_leader', { topic })).toBe(2);
    expect(promtoolCheckMetrics(r.body)).toEqual({ status: 0, output: '' });
    await waitFor('a log flush to be timed', async () => (sampleValue(await scrape(b), 'strand_log_flush_seconds_count') ?? 0) > 0, { timeoutMs: 5000, intervalMs: 200 });
    await b.stop();
  });
});
