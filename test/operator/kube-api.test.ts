/**
 * The test-only API server, exercised through the operator's real client code
 * (@kubernetes/client-node 1.x via ClientNodeKube and ResilientInformer).
 */
import { CoreV1Api, KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ResilientInformer } from '../../operator/src/runtime/informers.js';
import { ClientNodeKube, httpStatus, KIND } from '../../operator/src/runtime/kube.js';
import { FakeApiServer } from './kube-api/server.js';
import { sleep } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

interface Cluster extends KubernetesObject {
  spec?: { replicas?: number; image?: string };
  status?: { readyBrokers?: number };
}

describe('test Kubernetes API server', () => {
  let server: FakeApiServer;
  let dir: string;
  let kc: KubeConfig;
  let kube: ClientNodeKube;

  beforeEach(async () => {
    server = new FakeApiServer({ bookmarkIntervalMs: 100 });
    await server.start();
    dir = await mkdtemp(join(tmpdir(), 'strand-kapi-'));
    kc = new KubeConfig();
    kc.loadFromFile(await server.writeKubeconfig(join(dir, 'kubeconfig'), 'ns1'));
    kube = new ClientNodeKube(kc);
  });

  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const cluster = (name: string, replicas: number): Cluster => ({
    apiVersion: 'strand.dev/v1alpha1',
    kind: 'KafkaCluster',
    metadata: { name, namespace: 'ns1' },
    spec: { replicas, image: 'strand:1' },
  });

  it('applies, reads, bumps generation on spec changes only, and keeps status apart', async () => {
    const created = await kube.apply(cluster('c1', 3));
    expect(created.metadata?.generation).toBe(1);
    const rv1 = created.metadata?.resourceVersion;
    // Same apply again: a no-op, resourceVersion unchanged.
    const again = await kube.apply(cluster('c1', 3));
    expect(again.metadata?.resourceVersion).toBe(rv1);
    await kube.patchStatus(KIND.KafkaCluster, 'ns1', 'c1', { readyBrokers: 2 });
    const afterStatus = await kube.get<Cluster>(KIND.KafkaCluster, 'ns1', 'c1');
    expect(afterStatus?.status?.readyBrokers).toBe(2);
    expect(afterStatus?.metadata?.generation).toBe(1);
    const changed = await kube.apply(cluster('c1', 5));
    expect(changed.metadata?.generation).toBe(2);
    expect((changed as Cluster).status?.readyBrokers).toBe(2); // main-resource writes keep status
    expect(typeof afterStatus?.metadata?.creationTimestamp).toBe('string');
  });

  it('server-side apply removes fields the manager stopped applying', async () => {
    await kube.apply({ ...cluster('c1', 3), metadata: { name: 'c1', namespace: 'ns1', labels: { a: '1', b: '2' } } });
    const live = await kube.apply({ ...cluster('c1', 3), metadata: { name: 'c1', namespace: 'ns1', labels: { a: '1' } } });
    expect(live.metadata?.labels).toEqual({ a: '1' });
  });

  it('rejects a stale resourceVersion with 409', async () => {
    const c = await kube.apply(cluster('c1', 3));
    await kube.apply(cluster('c1', 4));
    const err: unknown = await kube
      .patchMetadata(KIND.KafkaCluster, 'ns1', 'c1', { finalizers: ['x'], resourceVersion: c.metadata?.resourceVersion ?? '' })
      .then(() => null, (e: unknown) => e);
    expect(httpStatus(err)).toBe(409);
  });

  it('holds deletion for finalizers and garbage-collects owned objects', async () => {
    const owner = await kube.apply(cluster('c1', 3));
    const core = kc.makeApiClient(CoreV1Api);
    const pod: V1Pod = {
      metadata: {
        name: 'p0',
        namespace: 'ns1',
        ownerReferences: [{ apiVersion: 'strand.dev/v1alpha1', kind: 'KafkaCluster', name: 'c1', uid: owner.metadata?.uid ?? '', controller: true }],
      },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    await core.createNamespacedPod({ namespace: 'ns1', body: pod });
    const live = await kube.get<Cluster>(KIND.KafkaCluster, 'ns1', 'c1');
    await kube.patchMetadata(KIND.KafkaCluster, 'ns1', 'c1', { finalizers: ['strand.dev/test'], resourceVersion: live?.metadata?.resourceVersion ?? '' });
    expect(await kube.delete(KIND.KafkaCluster, 'ns1', 'c1')).toBe(true);
    const marked = await kube.get<Cluster>(KIND.KafkaCluster, 'ns1', 'c1');
    expect(marked?.metadata?.deletionTimestamp).toBeDefined();
    expect(await kube.get(KIND.Pod, 'ns1', 'p0')).not.toBeNull();
    await kube.patchMetadata(KIND.KafkaCluster, 'ns1', 'c1', { finalizers: null });
    expect(await kube.get(KIND.KafkaCluster, 'ns1', 'c1')).toBeNull();
    expect(await kube.get(KIND.Pod, 'ns1', 'p0')).toBeNull();
    expect(await kube.delete(KIND.Pod, 'ns1', 'p0')).toBe(false);
  });

  it('feeds informers: list, then ADDED/MODIFIED/DELETED, surviving dropped watches', async () => {
    await kube.apply(cluster('before', 1));
    const inf = new ResilientInformer<Cluster>(kc, kube, KIND.KafkaCluster, 'ns1', logger);
    const events: string[] = [];
    inf.on((o, e) => events.push(`${e}:${o.metadata?.name}`));
    await inf.start();
    expect(inf.hasSynced).toBe(true);
    await until(() => events.includes('add:before'));
    await kube.apply(cluster('c2', 1));
    await until(() => events.includes('add:c2'));
    server.dropWatches(); // the informer must re-watch from its resourceVersion
    await sleep(50);
    await kube.apply(cluster('c2', 2));
    await until(() => events.includes('update:c2'));
    await kube.delete(KIND.KafkaCluster, 'ns1', 'c2');
    await until(() => events.includes('delete:c2'));
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['before']);
    // No duplicate ADDED after the re-watch.
    expect(events.filter((e) => e === 'add:c2')).toHaveLength(1);
    await inf.stop();
  });

  it('answers a watch from a too-old resourceVersion with 410 Gone', async () => {
    const res = await fetch(`${server.url}/apis/strand.dev/v1alpha1/namespaces/ns1/kafkaclusters?watch=true&resourceVersion=-5`);
    const text = await res.text();
    expect(JSON.parse(text.trim())).toMatchObject({ type: 'ERROR', object: { code: 410 } });
  });

  it('sends bookmarks when asked', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${server.url}/apis/strand.dev/v1alpha1/kafkaclusters?watch=true&resourceVersion=0&allowWatchBookmarks=true`, { signal: ctl.signal });
    const reader = res.body?.getReader();
    const chunk = await reader?.read();
    ctl.abort();
    expect(new TextDecoder().decode(chunk?.value)).toContain('"BOOKMARK"');
  });
});
