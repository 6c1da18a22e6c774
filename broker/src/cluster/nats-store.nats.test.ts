import type { NatsConnection } from 'nats';
import { describeMetadataStoreContract, eventually } from './metadata-store-contract.js';
import { connectNats, decodeKey, encodeKey, NatsMetadataStore } from './nats-store.js';
import { useTestNatsServer } from './test-nats-server.js';
import type { KvEntry } from './types.js';

const server = useTestNatsServer();
let n = 0;

async function openStore(): Promise<{ store: NatsMetadataStore; nc: NatsConnection }> {
  const nc = await connectNats(server().url);
  const store = await NatsMetadataStore.open({ nc, cluster: `c${process.pid}x${++n}`, ownsConnection: true });
  return { store, nc };
}

describeMetadataStoreContract('NatsMetadataStore', async () => {
  const { store } = await openStore();
  return { store, dispose: () => store.close() };
});

describe('NatsMetadataStore key codec', () => {
  it('maps topic names with dots into one subject token, reversibly', () => {
    expect(encodeKey('topics.a.b')).toBe('topics.a=2Eb');
    expect(encodeKey('partitions.a.b.3')).toBe('partitions.a=2Eb.3');
    expect(encodeKey('configs.topic.x.y')).toBe('configs.topic.x=2Ey');
    expect(encodeKey('cluster.id')).toBe('cluster.id');
    expect(encodeKey('topics.a=2Eb')).toBe('topics.a=3D2Eb');
    for (const k of ['topics.a.b', 'odd..double', '.x', 'x.', 'topics.ü *>', 'partitions.t.007']) {
      expect(decodeKey(encodeKey(k))).toBe(k);
      expect(encodeKey(k)).toMatch(/^[-/=\w]+(\.[-/=\w]+)*$/);
    }
  });
});

describe('NatsMetadataStore across a nats-server restart', () => {
  it('a watch resumes from its last revision without losing or repeating updates', async () => {
    const { store } = await openStore();
    try {
      const seen: KvEntry[] = [];
      await store.create('topics.before', 0);
      await store.watch('topics.', (e) => seen.push(e));
      const r = await store.create('topics.x.y', 1);
      await eventually(() => seen.length === 2, 5000, 'pre-restart change');
      await server().restart();
      // Writes after the restart: creates, an update and a delete must all arrive, in order.
      const writeWithRetry = async <T>(op: () => Promise<T>): Promise<T> => {
        for (let i = 0; ; i++) {
          try {
            return await op();
          } catch (err) {
            if (i > 50) throw err;
            await new Promise((res) => setTimeout(res, 100));
          }
        }
      };
      const r2 = await writeWithRetry(() => store.update('topics.x.y', 2, r));
      await writeWithRetry(() => store.create('topics.after', 3));
      await writeWithRetry(() => store.delete('topics.x.y', r2));
      await eventually(() => seen.length === 5, 15_000, 'post-restart changes');
      expect(seen.map((e) => [e.key, e.value])).toEqual([
        ['topics.before', 0],
        ['topics.x.y', 1],
        ['topics.x.y', 2],
        ['topics.after', 3],
        ['topics.x.y', null],
      ]);
      const revs = seen.map((e) => e.revision);
      expect(new Set(revs).size).toBe(revs.length);
      expect([...revs].sort((a, b) => a - b)).toEqual(revs);
      expect((await store.get('topics.before'))?.value).toBe(0); // data survived the restart
    } finally {
      await store.close();
    }
  });
});

describe('NatsMetadataStore revisions for the session gate', () => {
  it('currentRevision is the newest write; watchedRevision reaches it once the watch delivered it', async () => {
    const { store } = await openStore();
    try {
      expect(store.watchedRevision()).toBe(Number.MAX_SAFE_INTEGER); // no watch: nothing pending
      await store.create('topics.a', 0);
      const seen: KvEntry[] = [];
      await store.watch('', (e) => seen.push(e));
      const r1 = await store.currentRevision();
      expect(store.watchedRevision()).toBeGreaterThanOrEqual(r1); // covered by the initial load
      const r2 = await store.create('topics.b', 1);
      expect(await store.currentRevision()).toBe(r2);
      await eventually(() => store.watchedRevision() >= r2, 5000, 'watch delivers the new revision');
      expect(seen.map((e) => e.key)).toEqual(['topics.a', 'topics.b']);
    } finally {
      await store.close();
    }
  });
});
