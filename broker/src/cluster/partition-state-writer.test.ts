import { Keys } from './keys.js';
import { startLocalCluster } from './local-cluster.js';
import { decideIsrChange, StorePartitionStateWriter } from './partition-state-writer.js';
import { testBrokerConfig, withTempDir } from './test-fixtures.js';
import type { PartitionState } from './types.js';

function ps(over: Partial<PartitionState> = {}): PartitionState {
  return { topic: 't', partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3], partitionEpoch: 7, addingReplicas: [], removingReplicas: [], ...over };
}

describe('decideIsrChange', () => {
  it('fences a stale leader or epoch', () => {
    expect(decideIsrChange(ps(), 2, 4, [2])).toEqual({ kind: 'fenced' });
    expect(decideIsrChange(ps(), 1, 3, [1])).toEqual({ kind: 'fenced' });
  });
  it('shrinks, keeps the leader, bumps partitionEpoch only', () => {
    expect(decideIsrChange(ps(), 1, 4, [2])).toEqual({ kind: 'write', state: ps({ isr: [1, 2], partitionEpoch: 8 }) });
  });
  it('does not add non-replicas or ineligible brokers; no-op when unchanged', () => {
    expect(decideIsrChange(ps({ isr: [1] }), 1, 4, [1, 2, 3, 9], (b) => b !== 3)).toEqual({ kind: 'write', state: ps({ isr: [1, 2], partitionEpoch: 8 }) });
    expect(decideIsrChange(ps(), 1, 4, [3, 2, 1])).toEqual({ kind: 'noop', state: ps() });
  });
});

describe('StorePartitionStateWriter (local store)', () => {
  it('CASes the ISR, re-reads on conflict and reports fencing', async () => {
    await withTempDir(async (dir) => {
      const c = await startLocalCluster(testBrokerConfig(dir), undefined, () => 0);
      try {
        await c.controller.createTopic({ name: 'w', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {} }, false);
        const writer = new StorePartitionStateWriter({ store: c.store, brokerId: 0 });
        const key = Keys.partition('w', 0);
        const rev0 = c.image.partitionRevision('w', 0);
        expect(rev0).toBeGreaterThan(0);
        // Someone else (the controller) writes first: the writer must re-read, not clobber.
        const cur = await c.store.get(key);
        if (!cur) throw new Error('missing');
        await c.store.update(key, { ...(cur.value as PartitionState), partitionEpoch: 50 }, cur.revision);
        const r = await writer.alterIsr('w', 0, 0, [0]);
        expect(r).toMatchObject({ isr: [0], partitionEpoch: 50 }); // no-op: same ISR
        await c.image.waitUntil(() => (c.image.partitionRevision('w', 0) ?? 0) > (rev0 ?? 0));
        await expect(writer.alterIsr('w', 0, 1, [0])).resolves.toBe('fenced');
        await expect(new StorePartitionStateWriter({ store: c.store, brokerId: 5 }).alterIsr('w', 0, 0, [5])).resolves.toBe('fenced');
        await expect(new StorePartitionStateWriter({ store: c.store, brokerId: 0, canWrite: () => false }).alterIsr('w', 0, 0, [0])).resolves.toBe('fenced');
      } finally {
        await c.close();
      }
    });
  });
});
