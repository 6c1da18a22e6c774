/**
 * Failure detection against a real nats-server: three in-process "brokers" (cluster control
 * plane only) each with a stand-in Kafka listener on 127.0.0.1 that accepts and never answers.
 * The session timeout is the default 6 s, so anything faster than that is the detector.
 */
import net from 'node:net';
import type { BrokerSettings } from '../config.js';
import { eventually } from './metadata-store-contract.js';
import { bucketName } from './nats-store.js';
import { startNatsCluster, type NatsCluster } from './nats-cluster.js';
import { testBrokerConfig } from './test-fixtures.js';
import { useTestNatsServer } from './test-nats-server.js';

const SESSION_MS = 6000;
const SETTINGS: Partial<BrokerSettings> = { 'broker.session.timeout.ms': SESSION_MS, 'broker.heartbeat.interval.ms': 500, 'default.replication.factor': 3 };
const server = useTestNatsServer();
let n = 0;

class Listener {
  readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => this.sockets.delete(s));
    });
  }
  static async start(): Promise<Listener> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new Listener(server);
  }
  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('not listening');
    return a.port;
  }
  dropConnections(): void {
    for (const s of this.sockets) s.resetAndDestroy();
  }
  /** What kill -9 does to a listener: gone, connections closed. */
  async crash(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

interface Node {
  readonly id: number;
  readonly c: NatsCluster;
  readonly listener: Listener;
}

async function threeBrokers(): Promise<Node[]> {
  const cluster = `fd${++n}`;
  const nodes: Node[] = [];
  for (const id of [0, 1, 2]) {
    const listener = await Listener.start();
    const config = { ...testBrokerConfig('/nonexistent', SETTINGS, id), metadata: { url: server().url }, cluster, advertised: { host: '127.0.0.1', port: listener.port } };
    const c = await startNatsCluster(config, undefined, { pollMs: 250, random: () => 0, forwardTimeoutMs: 8000 });
    nodes.push({ id, c, listener });
  }
  await eventually(() => nodes.every((x) => x.c.image.brokers().length === 3 && x.c.image.controllerId >= 0 && x.c.image.controllerId === nodes[0]?.c.image.controllerId), 8000, 'three brokers and one agreed controller');
  return nodes;
}

/** The control plane of a crashed process: no deregistration, no more heartbeats. */
async function stopControlPlane(x: Node): Promise<void> {
  await x.c.controller.stop();
  x.c.image.stop();
  await x.c.nc.close();
  await x.c.registry.close(true);
  await x.c.lease.close().catch(() => undefined);
}

async function closeAll(nodes: readonly Node[]): Promise<void> {
  await Promise.all(nodes.map(async (x) => {
    await x.c.close().catch(() => undefined);
    await x.listener.crash();
  }));
}

/** A topic with leadership on all three brokers; returns the controller and a non-controller victim leading two partitions. */
async function setup(nodes: readonly Node[], topic: string): Promise<{ controller: Node; victim: Node; survivors: Node[] }> {
  const controller = nodes.find((x) => x.c.lease.isController());
  if (!controller) throw new Error('no controller');
  const victim = nodes.find((x) => x !== controller);
  const third = nodes.find((x) => x !== controller && x !== victim);
  if (!victim || !third) throw new Error('need three brokers');
  // Explicit placement: the victim is the preferred leader of two of the four partitions.
  const [v, c, t] = [victim.id, controller.id, third.id];
  await controller.c.controller.createTopic({ name: topic, numPartitions: -1, replicationFactor: -1, assignments: [[v, c, t], [c, v, t], [v, t, c], [t, c, v]], configs: {} }, false);
  await eventually(() => nodes.every((x) => x.c.image.topic(topic)?.partitions.filter((p) => p.leader === v).length === 2), 5000, 'victim leads two partitions everywhere');
  // The controller watches every other broker.
  await eventually(() => victim.listener.sockets.size === 1, 5000, 'controller watches the victim');
  expect(controller.c.controller.failureDetector?.watched()).toEqual(nodes.filter((x) => x !== controller).map((x) => x.id));
  return { controller, victim, survivors: nodes.filter((x) => x !== victim) };
}

const movedAway = (survivors: readonly Node[], topic: string, id: number): boolean =>
  survivors.every((x) => x.c.image.topic(topic)?.partitions.every((p) => p.leader !== id && p.leader !== -1 && !p.isr.includes(id)) ?? false);

describe('failure detection (NATS)', () => {
  it('a dead process (listener gone) is declared dead within ~1 s and its leaderships move, long before the session timeout', async () => {
    const nodes = await threeBrokers();
    try {
      const { controller, victim, survivors } = await setup(nodes, 'dead');
      await stopControlPlane(victim);
      const t0 = Date.now();
      await victim.listener.crash();
      await eventually(() => !controller.c.registry.brokers().some((b) => b.id === victim.id), 3000, 'registration deleted');
      const declaredMs = Date.now() - t0;
      await eventually(() => movedAway(survivors, 'dead', victim.id), 3000, 'leaders moved');
      const movedMs = Date.now() - t0;
      expect(declaredMs).toBeLessThan(1200);
      expect(movedMs).toBeLessThan(2000);
      expect(movedMs).toBeLessThan(SESSION_MS / 2);
      // Gone from the bucket itself (a delete marker), not just from the controller's view.
      const kv = await controller.c.nc.jetstream().views.kv(bucketName(`fd${n}`, 'brokers'));
      expect((await kv.get(String(victim.id)))?.operation).toBe('DEL');
    } finally {
      await closeAll(nodes);
    }
  }, 30_000);

  it('a paused process (accepts, never answers; connections reset while it listens) is NOT declared dead before the session timeout', async () => {
    const nodes = await threeBrokers();
    try {
      const { controller, victim, survivors } = await setup(nodes, 'paused');
      await stopControlPlane(victim);
      const t0 = Date.now();
      // The watch connection is lost, the probe connects (the kernel accepts): inconclusive.
      victim.listener.dropConnections();
      await eventually(() => victim.listener.sockets.size === 1, 3000, 'probe connected again');
      await new Promise((r) => setTimeout(r, SESSION_MS - 2000 - (Date.now() - t0)));
      expect(controller.c.registry.brokers().some((b) => b.id === victim.id)).toBe(true);
      expect(survivors[0]?.c.image.topic('paused')?.partitions.some((p) => p.leader === victim.id)).toBe(true);
      // The session timeout still applies.
      await eventually(() => movedAway(survivors, 'paused', victim.id), SESSION_MS + 4000, 'leaders moved after the session timeout');
      expect(Date.now() - t0).toBeGreaterThan(SESSION_MS - 2000);
    } finally {
      await closeAll(nodes);
    }
  }, 40_000);

  it('a broker expelled while alive (listener closed, heartbeats going) re-registers and is not expelled again', async () => {
    const nodes = await threeBrokers();
    try {
      const { controller, victim } = await setup(nodes, 'alive');
      await victim.listener.crash();
      await eventually(() => !controller.c.registry.brokers().some((b) => b.id === victim.id), 3000, 'expelled');
      // Its next heartbeat (or its own poll noticing the gap) puts the registration back.
      await eventually(() => controller.c.registry.brokers().some((b) => b.id === victim.id && b.incarnation === victim.c.registry.incarnation), 3000, 're-registered');
      expect(victim.c.registry.isSessionValid()).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      expect(controller.c.registry.brokers().some((b) => b.id === victim.id)).toBe(true);
      expect(controller.c.controller.failureDetector?.watched()).not.toContain(victim.id);
    } finally {
      await closeAll(nodes);
    }
  }, 30_000);
});
