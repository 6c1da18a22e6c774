import { performance } from 'node:perf_hooks';
import type { NatsConnection } from 'nats';
import { eventually } from './metadata-store-contract.js';
import { MetadataImageImpl } from './metadata-image.js';
import { NatsBrokerRegistry, type MembershipChange, type NatsBrokerRegistryOptions } from './nats-broker-registry.js';
import { connectNats, NatsMetadataStore } from './nats-store.js';
import { TestNatsServer } from './test-nats-server.js';
import type { MetadataDelta } from './types.js';

const SESSION_MS = 1500;
let server: TestNatsServer;
let n = 0;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  server = await TestNatsServer.start();
});
afterAll(async () => {
  await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  await server?.dispose();
});

async function conn(s: TestNatsServer = server): Promise<NatsConnection> {
  const nc = await connectNats(s.url);
  conns.push(nc);
  return nc;
}

function reg(id: number): NatsBrokerRegistryOptions['self'] {
  return { id, host: '127.0.0.1', port: 9092 + id, rack: id % 2 === 0 ? 'a' : null };
}

async function startBroker(cluster: string, id: number | null, extra: Partial<NatsBrokerRegistryOptions> = {}): Promise<NatsBrokerRegistry> {
  return NatsBrokerRegistry.start({ nc: await conn(), cluster, self: id === null ? null : reg(id), sessionTimeoutMs: SESSION_MS, pollMs: 100, ...extra });
}

describe('NatsBrokerRegistry', () => {
  it('brokers see each other, feed the metadata image, and a clean close leaves at once', async () => {
    const cluster = `r${++n}`;
    const b0 = await startBroker(cluster, 0);
    const b1 = await startBroker(cluster, 1);
    await b0.refresh();
    expect(b0.brokers().map((b) => [b.id, b.port, b.rack])).toEqual([
      [0, 9092, 'a'],
      [1, 9093, null],
    ]);
    expect(b0.brokers()[1]?.incarnation).toBe(b1.incarnation);
    expect(b0.isSessionValid()).toBe(true);

    const nc = await conn();
    const store = await NatsMetadataStore.open({ nc, cluster });
    const image = new MetadataImageImpl(store, { nodeId: 0, registry: b0 });
    await image.start();
    const deltas: MetadataDelta[] = [];
    image.onChange((d) => deltas.push(d));
    expect(image.brokers().map((b) => b.id)).toEqual([0, 1]);

    const t0 = performance.now();
    await b1.close();
    await eventually(() => image.brokers().length === 1, 2000, 'b1 leaves');
    expect(performance.now() - t0).toBeLessThan(SESSION_MS); // deregistered, not expired
    expect(deltas.some((d) => d.brokersChanged)).toBe(true);
    image.stop();
    await store.close();
    await b0.close();
  });

  it('a broker that stops heartbeating expires after the session timeout', async () => {
    const cluster = `r${++n}`;
    const watcher = await startBroker(cluster, null);
    const changes: MembershipChange[] = [];
    watcher.onMembershipChange((c) => changes.push(c));
    const b2 = await startBroker(cluster, 2);
    await eventually(() => watcher.brokers().length === 1, 2000, 'b2 joins');
    expect(changes[0]?.joined.map((b) => b.id)).toEqual([2]);
    expect(watcher.isSessionValid()).toBe(false); // an observer has no session

    // Stop heartbeats but leave the entry: only max_age can remove it.
    const stoppedAt = performance.now();
    await b2.close(true);
    await eventually(() => watcher.brokers().length === 0, 5000, 'b2 expires');
    const gone = performance.now() - stoppedAt;
    // The last heartbeat was at most session/3 before stoppedAt; expiry must not be early.
    expect(gone).toBeGreaterThan(SESSION_MS - SESSION_MS / 3 - 100);
    expect(gone).toBeLessThan(SESSION_MS + 1500);
    expect(changes.at(-1)?.left.map((b) => b.id)).toEqual([2]);

    // A restart under the same id is a new incarnation.
    const again = await startBroker(cluster, 2);
    await eventually(() => watcher.brokers().length === 1, 2000, 'b2 rejoins');
    const b3 = await startBroker(cluster, 3);
    await eventually(() => watcher.brokers().length === 2, 2000, 'b3 joins');
    const restarted = await startBroker(cluster, 3);
    await eventually(() => changes.some((c) => c.restarted.some((b) => b.id === 3)), 2000, 'b3 restart noticed');
    expect(watcher.brokers().find((b) => b.id === 3)?.incarnation).toBe(restarted.incarnation);
    await Promise.all([again.close(), b3.close(true), restarted.close(), watcher.close()]);
  });

  it('a broker cut off from NATS learns its session is invalid, and recovers', async () => {
    const own = await TestNatsServer.start();
    try {
      const reg5 = await NatsBrokerRegistry.start({ nc: await conn(own), cluster: 'iso', self: reg(5), sessionTimeoutMs: SESSION_MS });
      const events: boolean[] = [];
      reg5.onSessionChange((v) => events.push(v));
      expect(reg5.isSessionValid()).toBe(true);
      own.pause(); // SIGSTOP: the TCP connection stays up but nothing is answered
      const t0 = performance.now();
      await eventually(() => !reg5.isSessionValid(), 3000, 'session lost');
      expect(performance.now() - t0).toBeLessThan(SESSION_MS + 200);
      await eventually(() => events.includes(false), 1000, 'session-lost event');
      own.resume();
      await eventually(() => reg5.isSessionValid(), 6000, 'session restored');
      expect(events.at(-1)).toBe(true);
      await reg5.close();
    } finally {
      await own.dispose();
    }
  });
});
