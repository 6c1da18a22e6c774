/**
 * The real operator (startOperator: informers, work queues, leader election, reconcilers,
 * @kubernetes/client-node) against the test API server, without brokers: owned objects,
 * status when no broker is up, finalizers, garbage collection, leadership, /metrics, /healthz.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { ANNOTATION_TEMPLATE_HASH } from '../../operator/src/reconcilers/cluster-reconciler.js';
import { TOPIC_FINALIZER } from '../../operator/src/reconcilers/topic-reconciler.js';
import { startOperator } from '../../operator/src/runtime/operator.js';
import { isObject, type Json } from './kube-api/json.js';
import type { KObject } from './kube-api/store.js';
import { NS, startHarness, type Harness } from './harness.js';
import { sleep } from '../helpers/wait.js';

async function until<T>(what: string, fn: () => T | undefined | null | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function at(o: Json | undefined, ...path: Array<string | number>): Json | undefined {
  let cur = o;
  for (const p of path) {
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p] : undefined;
    else cur = isObject(cur) ? cur[p] : undefined;
  }
  return cur;
}

function condition(o: KObject | undefined, type: string): Json | undefined {
  const conds = at(o, 'status', 'conditions');
  return Array.isArray(conds) ? conds.find((c) => isObject(c) && c['type'] === type) : undefined;
}

describe('operator against the test API server (no brokers)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ brokers: false });
    await h.operator.whenLeading();
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('takes the leader lease', () => {
    const lease = h.get('leases', 'strand-operator');
    expect(at(lease, 'spec', 'holderIdentity')).toBe('test-operator');
  });

  it('applies the owned objects with owner references and reports status', async () => {
    const created = h.applyCluster({
      apiVersion: 'strand.dev/v1alpha1',
      kind: 'KafkaCluster',
      metadata: { name: 'alpha' },
      spec: { replicas: 3, image: 'strand:1', metadata: { nats: { url: 'nats://127.0.0.1:4222' } } },
    });
    const sts = await until('StatefulSet', () => h.get('statefulsets', 'alpha-broker'));
    expect(at(sts, 'metadata', 'ownerReferences', 0, 'uid')).toBe(created.metadata.uid);
    expect(at(sts, 'spec', 'updateStrategy', 'type')).toBe('OnDelete');
    expect(typeof at(sts, 'spec', 'template', 'metadata', 'annotations', ANNOTATION_TEMPLATE_HASH)).toBe('string');
    for (const [plural, name] of [
      ['configmaps', 'alpha-config'],
      ['services', 'alpha-brokers'],
      ['services', 'alpha-bootstrap'],
      ['poddisruptionbudgets', 'alpha-broker'],
    ] as const) {
      expect(at(h.get(plural, name), 'metadata', 'ownerReferences', 0, 'uid')).toBe(created.metadata.uid);
    }
    const withStatus = await until('status', () => {
      const c = h.get('kafkaclusters', 'alpha');
      return at(c, 'status', 'observedGeneration') === 1 ? c : undefined;
    });
    expect(at(withStatus, 'status', 'phase')).toBe('Pending');
    expect(at(withStatus, 'status', 'bootstrap')).toBe(`alpha-bootstrap.${NS}.svc:9092`);
    expect(condition(withStatus, 'Ready')).toMatchObject({ status: 'False', reason: 'BrokersNotReady' });
  });

  it('changes the pod template hash when the image changes, without touching pods itself', async () => {
    const before = at(h.get('statefulsets', 'alpha-broker'), 'spec', 'template', 'metadata', 'annotations', ANNOTATION_TEMPLATE_HASH);
    h.applyCluster({
      apiVersion: 'strand.dev/v1alpha1',
      kind: 'KafkaCluster',
      metadata: { name: 'alpha' },
      spec: { replicas: 3, image: 'strand:2', metadata: { nats: { url: 'nats://127.0.0.1:4222' } } },
    });
    await until('new template', () => at(h.get('statefulsets', 'alpha-broker'), 'spec', 'template', 'metadata', 'annotations', ANNOTATION_TEMPLATE_HASH) !== before);
    await until('generation 2 observed', () => at(h.get('kafkaclusters', 'alpha'), 'status', 'observedGeneration') === 2);
  });

  it('reports an invalid spec as Degraded', async () => {
    h.applyCluster({
      apiVersion: 'strand.dev/v1alpha1',
      kind: 'KafkaCluster',
      metadata: { name: 'bad' },
      spec: { replicas: 3, metadata: { nats: {} } },
    });
    const c = await until('Degraded', () => {
      const x = h.get('kafkaclusters', 'bad');
      return at(condition(x, 'Degraded'), 'status') === 'True' ? x : undefined;
    });
    expect(condition(c, 'Degraded')).toMatchObject({ reason: 'InvalidSpec' });
    expect(h.get('statefulsets', 'bad-broker')).toBeUndefined();
  });

  it('puts a finalizer on topics, reports an unreachable cluster, and lets go once the cluster is gone', async () => {
    h.applyTopic({
      apiVersion: 'strand.dev/v1alpha1',
      kind: 'Topic',
      metadata: { name: 'orders' },
      spec: { clusterRef: 'alpha', partitions: 3, replicationFactor: 3 },
    });
    const t = await until('topic condition', () => {
      const x = h.get('topics', 'orders');
      return condition(x, 'Ready') ? x : undefined;
    });
    expect(t.metadata.finalizers).toContain(TOPIC_FINALIZER);
    expect(condition(t, 'Ready')).toMatchObject({ status: 'False', reason: 'ClusterUnavailable' });

    // Deleting the cluster garbage-collects everything it owns.
    const clusterType = h.api.store.typeByPlural('strand.dev', 'v1alpha1', 'kafkaclusters');
    if (!clusterType) throw new Error('no type');
    h.api.store.delete(clusterType, NS, 'alpha');
    expect(h.get('statefulsets', 'alpha-broker')).toBeUndefined();
    expect(h.get('services', 'alpha-bootstrap')).toBeUndefined();

    const topicType = h.api.store.typeByPlural('strand.dev', 'v1alpha1', 'topics');
    if (!topicType) throw new Error('no type');
    h.api.store.delete(topicType, NS, 'orders');
    await until('topic gone', () => h.get('topics', 'orders') === undefined);
  });

  it('serves /metrics and /healthz', async () => {
    const base = `http://127.0.0.1:${h.operator.httpPort ?? 0}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/strand_operator_reconcile_total\{controller="kafkacluster",result="success"\} \d+/);
    expect(metrics).toContain('strand_operator_reconcile_duration_seconds_bucket');
    expect(metrics).toContain('strand_operator_queue_depth');
    expect(metrics).toMatch(/strand_operator_leader 1/);
  });

  it('hands leadership to a standby replica when the leader stops', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(h.kubeconfigPath);
    const standby = await startOperator({
      kubeConfig: kc,
      namespaces: [NS],
      http: null,
      logger: pino({ level: 'silent' }),
      leaseNamespace: NS,
      identity: 'standby',
      defaultImage: 'strand:test',
      leaseDurationMs: 4000,
      retryPeriodMs: 300,
    });
    try {
      await sleep(1000);
      expect(standby.isLeader()).toBe(false);
      await h.operator.stop(); // releases the lease
      await until('standby leads', () => standby.isLeader(), 10_000);
      expect(at(h.get('leases', 'strand-operator'), 'spec', 'holderIdentity')).toBe('standby');
    } finally {
      await standby.stop();
    }
  });
});
