/**
 * /healthz, /readyz and /v1 over real HTTP on 127.0.0.1, with a fake introspection object
 * standing in for the broker wiring (see test-introspection.ts).
 *
 * Unwritable data dir: tests run as root, where chmod 0555 does not stop writes, so the
 * failing data dir is a path that is a regular file (open of `<file>/probe` fails with
 * ENOTDIR for root too). A hung disk is simulated with a FIFO at the probe's path: opening
 * a FIFO for writing blocks until a reader appears, exactly like a stuck write.
 */
import { execFileSync } from 'node:child_process';
import { constants, openSync, closeSync, existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROBE_FILE } from './health.js';
import { partition } from './test-introspection.js';
import { startHarness, type Harness } from './test-support.js';

async function get(h: Harness, path: string): Promise<{ status: number; type: string; json: unknown }> {
  const res = await fetch(h.url(path));
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
}

describe('/healthz', () => {
  test('200 while the data dir takes writes; the probe file is removed', async () => {
    const h = await startHarness();
    try {
      const r = await get(h, '/healthz');
      expect(r).toEqual({ status: 200, type: 'application/json; charset=utf-8', json: { status: 'ok' } });
      expect(existsSync(join(h.dataDir, PROBE_FILE))).toBe(false);
    } finally {
      await h.close();
    }
  });

  test('503 with a reason when the data dir cannot be written (a regular file: works as root)', async () => {
    const h0 = await startHarness();
    const fileAsDir = join(h0.dataDir, 'not-a-dir');
    await writeFile(fileAsDir, 'x');
    const h = await startHarness({ dataDir: fileAsDir });
    try {
      const r = await get(h, '/healthz');
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ status: 'unhealthy', reason: expect.stringContaining('data dir not writable: ENOTDIR') });
    } finally {
      await h.close();
      await h0.close();
    }
  });

  test('a hung disk reads as unhealthy within the timeout, and probes do not pile up', async () => {
    const h = await startHarness({ healthTimeoutMs: 200 });
    const fifo = join(h.dataDir, PROBE_FILE);
    execFileSync('mkfifo', [fifo]);
    try {
      const started = Date.now();
      const r = await get(h, '/healthz');
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ status: 'unhealthy', reason: expect.stringContaining('timed out after 200 ms') });
      expect(Date.now() - started).toBeLessThan(2000);
      // The first probe's open() is still blocked: the next check must not start another.
      const again = await get(h, '/healthz');
      expect(again.status).toBe(503);
      expect(again.json).toEqual({ status: 'unhealthy', reason: expect.stringContaining('still pending') });
    } finally {
      // Unblock the stuck open() by opening the read side, then let the probe finish.
      const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      await new Promise((r) => setTimeout(r, 100));
      closeSync(fd);
      await rm(fifo, { force: true });
    }
    try {
      let last = 0;
      for (let i = 0; i < 50 && last !== 200; i++) {
        last = (await get(h, '/healthz')).status;
        if (last !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      expect(last).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('/readyz and /v1', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ metrics: { runtimeMetrics: false } });
  });
  afterEach(async () => {
    await h.close();
  });

  test('/readyz is 200 when every condition holds', async () => {
    expect(await get(h, '/readyz')).toEqual({ status: 200, type: 'application/json; charset=utf-8', json: { status: 'ready' } });
  });

  test('/readyz is 503 listing what is missing', async () => {
    h.state.readiness = { registered: false, metadataLoaded: true, coordinatorPartitionsLoading: [3, 17] };
    // Broker 1 follows orders-2 (leader 2) and falls out of its ISR.
    const orders = h.state.topics[0]!;
    h.state.topics[0] = { ...orders, partitions: [orders.partitions[0]!, orders.partitions[1]!, partition('orders', 2, [2, 1, 3], [2, 3], 2)] };
    const r = await get(h, '/readyz');
    expect(r.status).toBe(503);
    expect(r.json).toEqual({
      status: 'not_ready',
      missing: [
        'broker not registered in the broker registry',
        'coordinator partitions still loading (2): __consumer_offsets-3, __consumer_offsets-17',
        'followed partitions not in ISR (1): orders-2',
      ],
    });
  });

  test('/readyz without metadata says so (and not that everything else is fine)', async () => {
    h.state.readiness = { registered: true, metadataLoaded: false, coordinatorPartitionsLoading: [] };
    h.state.topics = [];
    expect(await get(h, '/readyz')).toMatchObject({ status: 503, json: { status: 'not_ready', missing: ['cluster metadata not loaded'] } });
  });

  test('/v1/cluster and /v1/brokers', async () => {
    expect(await get(h, '/v1/cluster')).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      json: {
        clusterId: 'test-cluster',
        nodeId: 1,
        controllerId: 1,
        isController: true,
        controllerEpoch: 7,
        brokers: 3,
        topics: 2,
        partitions: 5,
        partitionsLed: 2,
        underReplicatedPartitions: 1,
        underMinIsrPartitions: 1,
        offlinePartitions: 1,
      },
    });
    const b = await get(h, '/v1/brokers');
    expect(b.json).toEqual({
      brokers: [
        { id: 1, host: '127.0.0.1', port: 9092, rack: 'r1', isController: true, isSelf: true },
        { id: 2, host: '127.0.0.1', port: 9093, rack: 'r2', isController: false, isSelf: false },
        { id: 3, host: '127.0.0.1', port: 9094, rack: null, isController: false, isSelf: false },
      ],
    });
  });

  test('/v1/topics and /v1/topics/:name (dots in names; 404 for unknown)', async () => {
    const all = await get(h, '/v1/topics');
    expect(all.json).toEqual({
      topics: [
        { name: 'clicks.v1', topicId: 'fedcba9876543210fedcba9876543210', internal: false, partitions: 2, replicationFactor: 1, underReplicatedPartitions: 0, offlinePartitions: 1 },
        { name: 'orders', topicId: '0123456789abcdef0123456789abcdef', internal: false, partitions: 3, replicationFactor: 3, underReplicatedPartitions: 1, offlinePartitions: 0 },
      ],
    });
    const one = await get(h, '/v1/topics/orders');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({
      name: 'orders',
      configs: { 'retention.ms': '3600000' },
      partitionDetails: [
        { partition: 0, leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2, 3], local: { isLeader: true, logStartOffset: 10, logEndOffset: 120, highWatermark: 100, sizeBytes: 4096 } },
        { partition: 1, isr: [1] },
        { partition: 2, leader: 2, local: { isLeader: false } },
      ],
    });
    expect((await get(h, '/v1/topics/clicks.v1')).json).toMatchObject({ name: 'clicks.v1', partitionDetails: [{ local: null }, { leader: -1, local: null }] });
    expect(await get(h, '/v1/topics/nope')).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      json: { error: 'not_found', message: 'unknown topic "nope"' },
    });
  });

  test('/v1/groups and /v1/groups/:id', async () => {
    const g = await get(h, '/v1/groups');
    expect(g.json).toEqual({
      groups: [
        {
          groupId: 'billing',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'range',
          generationId: 4,
          members: [
            { memberId: 'm-1', groupInstanceId: null, clientId: 'c1', clientHost: '/127.0.0.1' },
            { memberId: 'm-2', groupInstanceId: 'i-2', clientId: 'c2', clientHost: '/127.0.0.1' },
          ],
          offsets: [
            { topic: 'orders', partition: 0, committedOffset: 90, lag: 10 },
            { topic: 'orders', partition: 2, committedOffset: 40, lag: null },
          ],
        },
      ],
    });
    expect((await get(h, '/v1/groups/billing')).json).toMatchObject({ groupId: 'billing', state: 'Stable' });
    expect(await get(h, '/v1/groups/ghost')).toMatchObject({ status: 404, json: { error: 'not_found', message: expect.stringContaining('"ghost"') } });
  });

  test('a response that fails its schema is a 500 with a message, not bad JSON', async () => {
    h.state.topics[0] = { ...h.state.topics[0]!, topicId: 'not-a-uuid' };
    const r = await get(h, '/v1/topics/orders');
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ error: 'internal', message: 'response failed schema validation', issues: [expect.stringContaining('topicId')] });
  });

  test('unknown routes are a JSON 404', async () => {
    expect(await get(h, '/v2/nothing')).toMatchObject({ status: 404, json: { error: 'not_found', message: 'no route GET /v2/nothing' } });
  });
});
