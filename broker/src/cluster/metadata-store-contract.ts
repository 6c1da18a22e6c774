/**
 * Test-only: the behaviour every MetadataStore must have (CAS writes, store-wide revisions,
 * list by prefix, watch in revision order with deletions), run against both the local file
 * store and the NATS KV store so the two cannot drift apart. Call inside a test file.
 */
import { Keys } from './keys.js';
import { RevisionMismatchError, type KvEntry, type MetadataStore } from './types.js';

export interface StoreFixture {
  readonly store: MetadataStore;
  dispose(): Promise<void>;
}

/** Waits until `cond` holds; watch deliveries are asynchronous in both stores. */
export async function eventually(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Keys whose names NATS subjects cannot hold as-is; every one must round-trip unchanged. */
export const ODD_KEYS: readonly string[] = [
  'topics.a.b.c',
  'topics.a=2Eb', // looks like an escaped form of the key above
  'topics.with space*and>wild',
  'topics.ünïcødé/slash',
  'topics.',
  'partitions.a.b.c.0',
  'partitions.a.b.c.12',
  'partitions.007',
  'configs.topic.x.y',
  'odd..double',
  '.leading',
  'trailing.',
  'plain',
];

export function describeMetadataStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  const withStore = async (fn: (s: MetadataStore) => Promise<void>): Promise<void> => {
    const f = await makeStore();
    try {
      await fn(f.store);
    } finally {
      await f.dispose();
    }
  };

  describe(`MetadataStore contract: ${name}`, () => {
    it('create fails if the key exists; update and delete need the current revision', () =>
      withStore(async (s) => {
        const r1 = await s.create('topics.a', { v: 1 });
        await expect(s.create('topics.a', { v: 2 })).rejects.toBeInstanceOf(RevisionMismatchError);
        await expect(s.update('topics.a', { v: 2 }, r1 + 5)).rejects.toBeInstanceOf(RevisionMismatchError);
        await expect(s.update('topics.missing', { v: 2 }, 0)).rejects.toBeInstanceOf(RevisionMismatchError);
        await expect(s.update('topics.missing', { v: 2 }, r1)).rejects.toBeInstanceOf(RevisionMismatchError);
        const r2 = await s.update('topics.a', { v: 2 }, r1);
        expect(r2).toBeGreaterThan(r1);
        expect(await s.get('topics.a')).toEqual({ key: 'topics.a', value: { v: 2 }, revision: r2 });
        await expect(s.update('topics.a', { v: 3 }, r1)).rejects.toBeInstanceOf(RevisionMismatchError);
        await expect(s.delete('topics.a', r1)).rejects.toBeInstanceOf(RevisionMismatchError);
        await s.delete('topics.a', r2);
        expect(await s.get('topics.a')).toBeNull();
        await s.delete('topics.a'); // deleting a missing key is not an error
        const r3 = await s.create('topics.a', { v: 4 }); // a deleted key can be created again
        expect(r3).toBeGreaterThan(r2);
        expect(await s.get('topics.missing')).toBeNull();
      }));

    it('revisions are store-wide and increasing', () =>
      withStore(async (s) => {
        const a = await s.create('a', 'a');
        const b = await s.create('b.x', 'b');
        const c = await s.update('a', 'a2', a);
        expect(a).toBeLessThan(b);
        expect(b).toBeLessThan(c);
      }));

    it('concurrent creates of one key: exactly one wins', () =>
      withStore(async (s) => {
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create('k', i)));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(RevisionMismatchError);
      }));

    it('concurrent updates from one revision: exactly one wins', () =>
      withStore(async (s) => {
        const r = await s.create('k', 0);
        const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => s.update('k', i + 1, r)));
        expect(results.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      }));

    it('lists by prefix in revision order and stores copies', () =>
      withStore(async (s) => {
        const v = { list: [1] };
        await s.create(Keys.partition('t.x', 1), v);
        await s.create(Keys.partition('t', 0), v);
        await s.create(Keys.partition('t.x', 0), v);
        await s.create(Keys.topic('t'), {});
        v.list.push(2);
        const list = await s.list(Keys.partitionPrefix);
        expect(list.map((e) => e.key)).toEqual(['partitions.t.x.1', 'partitions.t.0', 'partitions.t.x.0']);
        expect(list[0]?.value).toEqual({ list: [1] });
        // A topic prefix also matches topics whose names extend it (callers use parsePartitionKey).
        expect((await s.list(Keys.partitionsOf('t.x'))).map((e) => e.key)).toEqual(['partitions.t.x.1', 'partitions.t.x.0']);
        expect((await s.list('topics.')).map((e) => e.key)).toEqual(['topics.t']);
        expect(await s.list('nothing.')).toEqual([]);
        expect((await s.list('')).length).toBe(4);
      }));

    it('keys with dots and odd characters round-trip through get, list and watch', () =>
      withStore(async (s) => {
        const seen: KvEntry[] = [];
        await s.watch('', (e) => seen.push(e));
        for (const [i, k] of ODD_KEYS.entries()) await s.create(k, { i });
        for (const [i, k] of ODD_KEYS.entries()) expect(await s.get(k)).toMatchObject({ key: k, value: { i } });
        expect((await s.list('')).map((e) => e.key)).toEqual(ODD_KEYS);
        expect((await s.list('topics.a')).map((e) => e.key)).toEqual(['topics.a.b.c', 'topics.a=2Eb']);
        expect((await s.list('partitions.a.b.')).map((e) => e.key)).toEqual(['partitions.a.b.c.0', 'partitions.a.b.c.12']);
        await eventually(() => seen.length === ODD_KEYS.length, 5000, 'watch of odd keys');
        expect(seen.map((e) => e.key)).toEqual(ODD_KEYS);
      }));

    it('watch delivers the initial entries then every change, in revision order', () =>
      withStore(async (s) => {
        await s.create('topics.a', 1);
        await s.create('brokers.0', 1);
        const rb = await s.create('topics.b', 1);
        await s.delete('topics.b', rb); // deleted before the watch: not part of the initial load
        await s.create('topics.c', 1);
        const seen: KvEntry[] = [];
        const w = await s.watch('topics.', (e) => seen.push(e));
        expect(seen.map((e) => e.key)).toEqual(['topics.a', 'topics.c']); // loaded before watch() resolves
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 20; i++) writes.push(s.create(`topics.t${i}`, i));
        writes.push(s.create('other', 1));
        await Promise.all(writes);
        const a = await s.get('topics.a');
        await s.delete('topics.a', a?.revision);
        await eventually(() => seen.length === 2 + 20 + 1, 5000, 'watch changes');
        const revs = seen.map((e) => e.revision);
        expect([...revs].sort((x, y) => x - y)).toEqual(revs);
        expect(seen.at(-1)).toMatchObject({ key: 'topics.a', value: null });
        expect(seen.some((e) => e.key === 'other')).toBe(false);
        w.stop();
        await s.create('topics.late', 1);
        await new Promise((r) => setTimeout(r, 100));
        expect(seen.some((e) => e.key === 'topics.late')).toBe(false);
      }));

    it('a failing watcher does not stop others', () =>
      withStore(async (s) => {
        const seen: string[] = [];
        await s.watch('', () => {
          throw new Error('boom');
        });
        await s.watch('', (e) => seen.push(e.key));
        await s.create('x', 1);
        await s.create('y', 1);
        await eventually(() => seen.length === 2, 5000, 'second watcher');
        expect(seen).toEqual(['x', 'y']);
      }));

    it('rejects operations after close', async () => {
      const f = await makeStore();
      await f.store.close();
      await expect(f.store.create('x', 1)).rejects.toThrow(/closed/);
      await f.dispose();
    });
  });
}
