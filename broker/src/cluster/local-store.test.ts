import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalMetadataStore, METADATA_DIR } from './local-store.js';
import { withTempDir } from './test-fixtures.js';
import { RevisionMismatchError, type KvEntry } from './types.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('LocalMetadataStore', () => {
  it('create fails if the key exists; update needs the current revision', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const r1 = await s.create('topics.a', { v: 1 });
      await expect(s.create('topics.a', { v: 2 })).rejects.toBeInstanceOf(RevisionMismatchError);
      await expect(s.update('topics.a', { v: 2 }, r1 + 5)).rejects.toBeInstanceOf(RevisionMismatchError);
      await expect(s.update('topics.missing', { v: 2 }, 0)).rejects.toBeInstanceOf(RevisionMismatchError);
      const r2 = await s.update('topics.a', { v: 2 }, r1);
      expect(r2).toBeGreaterThan(r1);
      expect(await s.get('topics.a')).toEqual({ key: 'topics.a', value: { v: 2 }, revision: r2 });
      await expect(s.update('topics.a', { v: 3 }, r1)).rejects.toBeInstanceOf(RevisionMismatchError);
      await expect(s.delete('topics.a', r1)).rejects.toBeInstanceOf(RevisionMismatchError);
      await s.delete('topics.a', r2);
      expect(await s.get('topics.a')).toBeNull();
      // After a delete the key can be created again.
      await s.create('topics.a', { v: 4 });
      await s.close();
    });
  });

  it('revisions are store-wide and increasing', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const revs = await Promise.all(['a', 'b', 'c'].map((k) => s.create(k, k)));
      expect([...revs].sort((x, y) => x - y)).toEqual(revs);
      expect(new Set(revs).size).toBe(3);
      await s.close();
    });
  });

  it('concurrent creates of one key: exactly one wins', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create('k', i)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      await s.close();
    });
  });

  it('lists by prefix and stores copies', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const v = { list: [1] };
      await s.create('partitions.t.0', v);
      await s.create('partitions.t.1', v);
      await s.create('topics.t', {});
      v.list.push(2);
      const list = await s.list('partitions.');
      expect(list.map((e) => e.key)).toEqual(['partitions.t.0', 'partitions.t.1']);
      expect(list[0]?.value).toEqual({ list: [1] });
      await s.close();
    });
  });

  it('persists across reopen, including the revision counter', async () => {
    await withTempDir(async (dir) => {
      const s1 = await LocalMetadataStore.open(dir);
      await s1.create('a', { x: 1 });
      const rb = await s1.create('b', { y: 2 });
      await s1.delete('a');
      await s1.close();
      const raw = JSON.parse(await readFile(join(dir, METADATA_DIR, 'metadata.json'), 'utf8')) as { revision: number };
      expect(raw.revision).toBe(rb + 1);

      const s2 = await LocalMetadataStore.open(dir);
      expect(await s2.get('a')).toBeNull();
      expect(await s2.get('b')).toEqual({ key: 'b', value: { y: 2 }, revision: rb });
      const rc = await s2.create('c', 1);
      expect(rc).toBe(rb + 2);
      await expect(s2.update('b', {}, rb)).resolves.toBeGreaterThan(rc);
      await s2.close();
    });
  });

  it('watch delivers the initial entries then every change, in revision order', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      await s.create('topics.a', 1);
      await s.create('brokers.0', 1);
      await s.create('topics.b', 1);
      const seen: KvEntry[] = [];
      const w = await s.watch('topics.', (e) => seen.push(e));
      expect(seen.map((e) => e.key)).toEqual(['topics.a', 'topics.b']); // loaded before watch() resolves
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) writes.push(s.create(`topics.t${i}`, i));
      writes.push(s.create('other', 1));
      writes.push(s.delete('topics.a'));
      await Promise.all(writes);
      await tick();
      const revs = seen.map((e) => e.revision);
      expect([...revs].sort((a, b) => a - b)).toEqual(revs);
      expect(seen).toHaveLength(2 + 20 + 1);
      expect(seen.at(-1)).toMatchObject({ key: 'topics.a', value: null });
      expect(seen.some((e) => e.key === 'other')).toBe(false);
      w.stop();
      await s.create('topics.late', 1);
      await tick();
      expect(seen.some((e) => e.key === 'topics.late')).toBe(false);
      await s.close();
    });
  });

  it('a failing watcher does not stop others', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const seen: string[] = [];
      await s.watch('', () => {
        throw new Error('boom');
      });
      await s.watch('', (e) => seen.push(e.key));
      await s.create('x', 1);
      await tick();
      expect(seen).toEqual(['x']);
      await s.close();
    });
  });

  it('rolls back writes that could not be made durable', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      const r1 = await s.create('a', 1);
      const seen: string[] = [];
      await s.watch('', (e) => seen.push(e.key));
      const metaDir = join(dir, METADATA_DIR);
      // A file where the directory was makes the snapshot write fail even when running as root.
      await rm(metaDir, { recursive: true });
      await writeFile(metaDir, 'not a directory');
      await expect(s.create('b', 2)).rejects.toThrow();
      expect(await s.get('b')).toBeNull();
      await rm(metaDir);
      await mkdir(metaDir);
      expect(await s.create('c', 3)).toBe(r1 + 1);
      await tick();
      expect(seen).toEqual(['a', 'c']);
      await s.close();
    });
  });

  it('rejects operations after close', async () => {
    await withTempDir(async (dir) => {
      const s = await LocalMetadataStore.open(dir);
      await s.close();
      await expect(s.create('x', 1)).rejects.toThrow(/closed/);
    });
  });
});
