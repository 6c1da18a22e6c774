/**
 * The adapter over the real single-broker parts (local metadata store, image, controller,
 * LogManager, ReplicaManager) behind the real HTTP server: no fakes here. Appends and the
 * Kafka listener are left to the broker integration tests once broker.ts wires this in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster.js';
import { testBrokerConfig } from '../cluster/test-fixtures.js';
import { effectiveTopicConfig, toLogConfig } from '../cluster/topic-config.js';
import { ReplicaManagerImpl } from '../replication/replica-manager.js';
import { LogManager } from '../storage/log-manager.js';
import { brokerIntrospection } from './introspection-adapter.js';
import { BrokerMetrics } from './metrics.js';
import { startHttpServer, type RunningHttpServer } from './server.js';
import { sample } from './test-support.js';

describe('brokerIntrospection over a real local cluster', () => {
  const logger = pino({ level: 'silent' });
  let dir = '';
  let cluster: LocalCluster;
  let logs: LogManager;
  let replicas: ReplicaManagerImpl;
  let server: RunningHttpServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strand-http-real-'));
    const config = testBrokerConfig(dir, { 'min.insync.replicas': 1 });
    logs = LogManager.open({ dataDir: dir, logger, defaultConfig: toLogConfig(effectiveTopicConfig(config.settings, {}, {})) });
    cluster = await startLocalCluster(config, logger);
    replicas = new ReplicaManagerImpl({ nodeId: 0, settings: config.settings, metadata: cluster.image, logs, logger });
    replicas.start();
    await cluster.controller.createTopic({ name: 'events', numPartitions: 2, replicationFactor: 1, assignments: [], configs: { 'min.insync.replicas': '1' } }, false);
    const intro = brokerIntrospection({ config, version: '0.1.0', image: cluster.image, replicas, purgatorySizes: () => ({ produce: 0, fetch: 0 }) });
    server = await startHttpServer({ host: '127.0.0.1', port: 0, metrics: new BrokerMetrics(intro, { runtimeMetrics: false }), introspection: intro, dataDir: dir, logger });
  });

  afterAll(async () => {
    await server.close();
    replicas.stop();
    logs.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  const url = (p: string): string => `http://127.0.0.1:${server.port}${p}`;

  test('metrics, readiness and views reflect the real image and replicas', async () => {
    const body = await (await fetch(url('/metrics'))).text();
    expect(sample(body, 'strand_partitions_led')).toBe(2);
    expect(sample(body, 'strand_partitions_under_replicated')).toBe(0);
    expect(sample(body, 'strand_controller_active')).toBe(1);
    expect(sample(body, 'strand_partition_log_end_offset{topic="events",partition="1"}')).toBe(0);
    expect(sample(body, 'strand_partition_leader{topic="events",partition="0"}')).toBe(1);

    expect((await fetch(url('/readyz'))).status).toBe(200);
    const topic = (await (await fetch(url('/v1/topics/events'))).json()) as { partitionDetails: { local: unknown }[] };
    expect(topic.partitionDetails).toHaveLength(2);
    expect(topic.partitionDetails[0]?.local).toEqual({ isLeader: true, logStartOffset: 0, logEndOffset: 0, highWatermark: 0, sizeBytes: 0 });
    const brokers = (await (await fetch(url('/v1/brokers'))).json()) as { brokers: { id: number; isSelf: boolean }[] };
    expect(brokers.brokers).toEqual([expect.objectContaining({ id: 0, isSelf: true, isController: true })]);
  });
});
