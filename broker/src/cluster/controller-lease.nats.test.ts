import type { NatsConnection } from 'nats';
import { CONTROLLER_EPOCH_KEY, ControllerLease, NotControllerError, type ControllerState } from './controller-lease.js';
import { eventually } from './metadata-store-contract.js';
import { connectNats, NatsMetadataStore } from './nats-store.js';
import { useTestNatsServer } from './test-nats-server.js';

const LEASE_MS = 1500;
const server = useTestNatsServer();
let n = 0;

interface Contender {
  readonly id: number;
  readonly nc: NatsConnection;
  readonly store: NatsMetadataStore;
  readonly lease: ControllerLease;
  readonly seen: ControllerState[];
  close(): Promise<void>;
}

/** Each contender has its own connection, like a separate broker process. */
async function contender(cluster: string, id: number): Promise<Contender> {
  const nc = await connectNats(server().url);
  const store = await NatsMetadataStore.open({ nc, cluster });
  const lease = await ControllerLease.start({ nc, cluster, brokerId: id, store, leaseMs: LEASE_MS, pollMs: 100 });
  const seen: ControllerState[] = [lease.current()];
  lease.onChange((s) => seen.push(s));
  return {
    id,
    nc,
    store,
    lease,
    seen,
    close: async () => {
      await lease.close();
      await store.close();
      await nc.close().catch(() => undefined);
    },
  };
}

const holders = (cs: readonly Contender[]): Contender[] => cs.filter((c) => c.lease.isController());

describe('ControllerLease', () => {
  it('three contenders elect one controller; failover when it stops renewing; epochs increase', async () => {
    const cluster = `l${++n}`;
    const cs = await Promise.all([0, 1, 2].map((id) => contender(cluster, id)));
    try {
      await eventually(() => holders(cs).length === 1 && cs.every((c) => c.lease.current().controllerId === holders(cs)[0]?.id), 5000, 'one agreed controller');
      const first = holders(cs)[0];
      if (!first) throw new Error('no controller');
      const e1 = first.lease.current().epoch;
      expect(first.lease.current().isMe).toBe(true);
      await expect(first.lease.assertStillController()).resolves.toBe(e1);
      // Concurrent asserts are serialised and all succeed.
      await expect(Promise.all([1, 2, 3].map(() => first.lease.assertStillController()))).resolves.toEqual([e1, e1, e1]);

      // Cut the holder off (its renewals fail); the lease expires in NATS and it learns locally.
      await first.nc.close();
      const rest = cs.filter((c) => c !== first);
      await eventually(() => !first.lease.isController(), LEASE_MS + 500, 'old holder notices');
      expect(first.seen.at(-1)).toMatchObject({ isMe: false });
      await expect(first.lease.assertStillController()).rejects.toBeInstanceOf(NotControllerError);
      await eventually(() => holders(rest).length === 1, LEASE_MS * 3, 'failover');
      const second = holders(rest)[0];
      if (!second) throw new Error('no controller after failover');
      const e2 = second.lease.current().epoch;
      expect(e2).toBeGreaterThan(e1);
      await eventually(() => rest.every((c) => c.lease.current().controllerId === second.id), 2000, 'agreement after failover');

      // A clean close hands over quickly, with a higher epoch again.
      await second.lease.close();
      const last = rest.filter((c) => c !== second);
      await eventually(() => holders(last).length === 1, LEASE_MS, 'handover on close');
      const e3 = last[0]?.lease.current().epoch ?? 0;
      expect(e3).toBeGreaterThan(e2);
      const rec = await last[0]?.store.get(CONTROLLER_EPOCH_KEY);
      expect(rec?.value).toEqual({ epoch: e3, brokerId: last[0]?.id });

      // Every observer saw epochs in strictly increasing order for successive controllers.
      for (const c of cs) {
        const epochs = c.seen.filter((s) => s.controllerId >= 0).map((s) => s.epoch);
        for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1] ?? 0);
      }
    } finally {
      await Promise.all(cs.map((c) => c.close()));
    }
  });

  it('a controller whose epoch was superseded is fenced at its next assert', async () => {
    const cluster = `l${++n}`;
    const a = await contender(cluster, 7);
    try {
      await eventually(() => a.lease.isController(), 3000, 'a controls');
      const rec = await a.store.get(CONTROLLER_EPOCH_KEY);
      if (!rec) throw new Error('no epoch record');
      // What a successor does first: claim the next epoch by CAS.
      await a.store.update(CONTROLLER_EPOCH_KEY, { epoch: a.lease.current().epoch + 1, brokerId: 8 }, rec.revision);
      await expect(a.lease.assertStillController()).rejects.toBeInstanceOf(NotControllerError);
      expect(a.lease.isController()).toBe(false);
      expect(a.lease.current().isMe).toBe(false);
    } finally {
      await a.close();
    }
  });

  it('the epoch survives the lease bucket expiring while no one contends', async () => {
    const cluster = `l${++n}`;
    const a = await contender(cluster, 1);
    await eventually(() => a.lease.isController(), 3000, 'a controls');
    const ea = a.lease.current().epoch;
    await a.close();
    await new Promise((r) => setTimeout(r, LEASE_MS + 300));
    const b = await contender(cluster, 2);
    try {
      await eventually(() => b.lease.isController(), 3000, 'b controls');
      expect(b.lease.current().epoch).toBe(ea + 1);
    } finally {
      await b.close();
    }
  });
});
