/**
 * ReplicaManagerImpl over the real single-broker parts (local metadata store, image,
 * controller, LogManager): an acks=all wait on a partition that is then removed from this
 * broker answers NOT_LEADER_OR_FOLLOWER at once rather than pending until its timeout (the
 * removed Partition keeps reporting itself leader, so the manager's map is what decides).
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Keys, PartitionStateSchema } from '../cluster/keys.js';
import { startLocalCluster, type LocalCluster } from '../cluster/local-cluster.js';
import { testBrokerConfig } from '../cluster/test-fixtures.js';
import { effectiveTopicConfig, toLogConfig } from '../cluster/topic-config.js';
import { buildBatchSync } from '../protocol/records/record-codec.js';
import { LogManager } from '../storage/log-manager.js';
import { ReplicaManagerImpl } from './replica-manager.js';
import type { PartitionReplica } from './types.js';

describe('ReplicaManagerImpl.waitForReplication when the partition leaves this broker', () => {
  const logger = pino({ level: 'silent' });
  let dir = '';
  let cluster: LocalCluster;
  let logs: LogManager;
  let replicas: ReplicaManagerImpl;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strand-rm-removed-'));
    const config = testBrokerConfig(dir, { 'min.insync.replicas': 1 });
    logs = LogManager.open({ dataDir: dir, logger, defaultConfig: toLogConfig(effectiveTopicConfig(config.settings, {}, {})) });
    cluster = await startLocalCluster(config, logger);
    replicas = new ReplicaManagerImpl({ nodeId: 0, settings: config.settings, metadata: cluster.image, logs, logger });
    replicas.start();
  });

  afterEach(async () => {
    replicas.stop();
    logs.close();
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A leader here with ISR [0, 1]: broker 1 never fetches, so an acks=all append pends. */
  async function leaderWithSilentFollower(topic: string): Promise<PartitionReplica> {
    await cluster.controller.createTopic({ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: { 'min.insync.replicas': '1' } }, false);
    const entry = await cluster.store.get(Keys.partition(topic, 0));
    const state = PartitionStateSchema.parse(entry?.value);
    const revision = await cluster.store.update(
      Keys.partition(topic, 0),
      { ...state, replicas: [0, 1], isr: [0, 1], partitionEpoch: state.partitionEpoch + 1 },
      entry?.revision ?? -1,
    );
    await cluster.image.waitForRevision(revision);
    await cluster.image.waitUntil(() => replicas.partition(topic, 0)?.isr.length === 2, 5000, 'ISR [0, 1] applied');
    const replica = replicas.partition(topic, 0);
    if (replica === undefined) throw new Error('no local replica');
    expect(replica.isLeader).toBe(true);
    expect(replica.isr).toEqual([0, 1]);
    return replica;
  }

  function appendOne(replica: PartitionReplica): number {
    const batch = buildBatchSync({ records: [{ key: null, value: Buffer.from('v'), timestamp: 1 }] });
    return replica.appendAsLeader(batch, -1).lastOffset;
  }

  /** Settles within `ms` or reports 'still pending'. */
  function within<T>(p: Promise<T>, ms: number): Promise<T | 'still pending'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'still pending'>((resolve) => (timer = setTimeout(() => resolve('still pending'), ms)));
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  }

  test('the wait really pends while the follower in the ISR has not fetched', async () => {
    const replica = await leaderWithSilentFollower('pends');
    const lastOffset = appendOne(replica);
    expect(await within(replicas.waitForReplication(replica, lastOffset, 30_000), 300)).toBe('still pending');
  });

  test('topic deletion answers a waiting acks=all produce with NOT_LEADER_OR_FOLLOWER at once', async () => {
    const replica = await leaderWithSilentFollower('deleted');
    const lastOffset = appendOne(replica);
    const wait = replicas.waitForReplication(replica, lastOffset, 30_000);
    expect(await within(wait, 100)).toBe('still pending');

    const started = Date.now();
    await cluster.controller.deleteTopic('deleted');
    expect(await within(wait, 1000)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(Date.now() - started).toBeLessThan(1500);
    // The removed Partition object still reports itself leader: the map is what decides.
    expect(replicas.partition('deleted', 0)).toBeUndefined();
  });

  test('a reassignment state that drops this broker answers a waiting produce at once', async () => {
    const replica = await leaderWithSilentFollower('moved');
    const lastOffset = appendOne(replica);
    const wait = replicas.waitForReplication(replica, lastOffset, 30_000);
    expect(await within(wait, 100)).toBe('still pending');

    // What the controller writes once a reassignment to [1] completes: broker 0 is gone.
    const entry = await cluster.store.get(Keys.partition('moved', 0));
    const state = PartitionStateSchema.parse(entry?.value);
    const revision = await cluster.store.update(
      Keys.partition('moved', 0),
      { ...state, replicas: [1], isr: [1], leader: 1, leaderEpoch: state.leaderEpoch + 1, partitionEpoch: state.partitionEpoch + 1 },
      entry?.revision ?? -1,
    );
    await cluster.image.waitForRevision(revision);
    expect(await within(wait, 1000)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(replicas.partition('moved', 0)).toBeUndefined();
  });

  test('a wait started after the removal answers NOT_LEADER_OR_FOLLOWER', async () => {
    const replica = await leaderWithSilentFollower('gone');
    const lastOffset = appendOne(replica);
    await cluster.controller.deleteTopic('gone');
    expect(await within(replicas.waitForReplication(replica, lastOffset, 30_000), 1000)).toBe('NOT_LEADER_OR_FOLLOWER');
  });
});
