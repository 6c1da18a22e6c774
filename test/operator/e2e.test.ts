/**
 * End to end without Kubernetes: the real operator against the test API server, the pod
 * runner turning the broker StatefulSet's pods into real broker processes with a real
 * nats-server, and real clients (our KafkaClient as an admin; confluent-kafka-python as an
 * idempotent acks=all producer; kcat for the final read). One scenario in steps, as the
 * issue lists them; each step depends on the previous one.
 */
import { placeReplicas } from '../../broker/src/cluster/placement.js';
import { KafkaClient } from '../../broker/src/client/index.js';
import { ConfigResourceType } from '../../broker/src/protocol/messages/describe-configs.js';
import { ANNOTATION_TEMPLATE_HASH } from '../../operator/src/reconcilers/cluster-reconciler.js';
import { placementSeed } from '../../operator/src/reconcilers/topic-plan.js';
import { FAST_FAILOVER, useClusterLock } from '../helpers/cluster.js';
import { assertInvariants, killProducers, readAllWithKcat, SequenceProducer } from '../helpers/invariant-checker.js';
import { requireKcat, requirePythonModules } from '../helpers/tools.js';
import { isObject, type Json } from './kube-api/json.js';
import type { KObject } from './kube-api/store.js';
import { NS, startHarness, type Harness } from './harness.js';
import { sleep } from '../helpers/wait.js';

const CLUSTER = 'e2e';
const TOPIC = 'events';

function at(o: Json | undefined, ...path: Array<string | number>): Json | undefined {
  let cur = o;
  for (const p of path) cur = typeof p === 'number' ? (Array.isArray(cur) ? cur[p] : undefined) : isObject(cur) ? cur[p] : undefined;
  return cur;
}

function cond(o: KObject | undefined, type: string): Json | undefined {
  const cs = at(o, 'status', 'conditions');
  return Array.isArray(cs) ? cs.find((c) => isObject(c) && c['type'] === type) : undefined;
}

let h: Harness;
let admin: KafkaClient;
let bootstrap: string[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms: number, context = (): string => ''): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out (${ms} ms) waiting for ${what}\n${context()}`);
    await sleep(200);
  }
}

function clusterSpec(image: string): Parameters<Harness['applyCluster']>[0] {
  return {
    apiVersion: 'strand.dev/v1alpha1',
    kind: 'KafkaCluster',
    metadata: { name: CLUSTER },
    spec: {
      replicas: 3,
      image,
      config: { ...(FAST_FAILOVER as Record<string, number>), 'group.initial.rebalance.delay.ms': 0 },
      metadata: { nats: { url: h.nats?.url ?? '' } },
    },
  };
}

function topicSpec(partitions: number, retention: string): Parameters<Harness['applyTopic']>[0] {
  return {
    apiVersion: 'strand.dev/v1alpha1',
    kind: 'Topic',
    metadata: { name: TOPIC },
    spec: { clusterRef: CLUSTER, partitions, replicationFactor: 3, config: { 'min.insync.replicas': '2', 'retention.ms': retention } },
  };
}

const state = (): string =>
  `cluster status: ${JSON.stringify(at(h.get('kafkaclusters', CLUSTER), 'status'))}\ntopic status: ${JSON.stringify(at(h.get('topics', TOPIC), 'status'))}\nlogs in ${h.dir}`;

async function topicConfig(name: string): Promise<string | null> {
  const [r] = await admin.describeConfigs([{ type: ConfigResourceType.TOPIC, name: TOPIC, keys: [name] }]);
  return r?.configs.find((c) => c.name === name)?.value ?? null;
}

async function isrSizes(): Promise<number[]> {
  const md = await admin.metadata([TOPIC], { deadlineMs: 3000 });
  const t = md.topics.find((x) => x.name === TOPIC);
  return (t?.partitions ?? []).map((p) => p.isrNodes.length);
}

// One test cluster at a time on this machine (shared with the cluster suites).
useClusterLock();

beforeAll(async () => {
  requireKcat();
  requirePythonModules('confluent_kafka');
  h = await startHarness({ brokers: true });
  await h.preallocate(CLUSTER, 3);
  for (let i = 0; i < 3; i++) bootstrap.push(`127.0.0.1:${(await h.runner?.portsOf(NS, `${CLUSTER}-broker-${i}`))?.kafka ?? 0}`);
  admin = new KafkaClient({ bootstrap, requestTimeoutMs: 5000, defaultDeadlineMs: 15_000 });
  await h.operator.whenLeading();
}, 60_000);

afterAll(async () => {
  killProducers();
  await admin?.close();
  await h?.stop();
}, 60_000);

test('a KafkaCluster and a Topic become a real cluster with the operator placement, and Ready', async () => {
  h.applyCluster(clusterSpec('strand:v1'));
  h.applyTopic(topicSpec(3, '86400000'));
  await until('KafkaCluster Ready', () => at(cond(h.get('kafkaclusters', CLUSTER), 'Ready'), 'status') === 'True', 120_000, state);
  const c = h.get('kafkaclusters', CLUSTER);
  expect(at(c, 'status', 'readyBrokers')).toBe(3);
  expect(at(c, 'status', 'phase')).toBe('Running');
  expect(at(c, 'status', 'controller')).toEqual(expect.any(Number));

  await until('Topic Ready', () => at(cond(h.get('topics', TOPIC), 'Ready'), 'status') === 'True', 60_000, state);
  const md = await admin.metadata([TOPIC]);
  const brokers = md.brokers.map((b) => ({ id: b.nodeId, rack: b.rack }));
  const expected = placeReplicas(brokers, 3, 3, placementSeed(TOPIC, 3));
  const actual = [...(md.topics.find((t) => t.name === TOPIC)?.partitions ?? [])].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.replicaNodes);
  expect(actual).toEqual(expected);
  const statusParts = at(h.get('topics', TOPIC), 'status', 'partitions');
  expect(Array.isArray(statusParts) ? statusParts.map((p) => at(p, 'replicas')) : null).toEqual(expected);
  expect(at(h.get('topics', TOPIC), 'status', 'topicId')).toEqual(expect.any(String));
}, 200_000);

test('topic config and partition changes are applied; config drift is reverted', async () => {
  h.applyTopic(topicSpec(6, '3600000'));
  await until('6 partitions and the new retention', async () => (await isrSizes()).length === 6 && (await topicConfig('retention.ms')) === '3600000', 60_000, state);
  const md = await admin.metadata([TOPIC]);
  const added = [...(md.topics.find((t) => t.name === TOPIC)?.partitions ?? [])].filter((p) => p.partitionIndex >= 3).sort((a, b) => a.partitionIndex - b.partitionIndex);
  const brokers = md.brokers.map((b) => ({ id: b.nodeId, rack: b.rack }));
  expect(added.map((p) => p.replicaNodes)).toEqual(placeReplicas(brokers, 3, 3, { ...placementSeed(TOPIC, 3), startPartition: 3 }));
  await until('topic status generation 2', () => at(h.get('topics', TOPIC), 'status', 'observedGeneration') === 2, 30_000, state);

  // Someone changes the config behind the operator's back: the resync sets it back.
  await admin.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name: TOPIC, ops: [{ name: 'retention.ms', op: 'set', value: '1000' }] }]);
  expect(await topicConfig('retention.ms')).toBe('1000');
  await until('drift reverted', async () => (await topicConfig('retention.ms')) === '3600000', 30_000, state);
}, 150_000);

test('a deleted broker pod is recreated and rejoins the ISR', async () => {
  const pod = `${CLUSTER}-broker-2`;
  const pidBefore = h.runner?.pid(NS, pod);
  const podType = h.api.store.typeByPlural('', 'v1', 'pods');
  if (!podType) throw new Error('no pod type');
  h.api.store.delete(podType, NS, pod);
  await until('a new broker process', () => {
    const pid = h.runner?.pid(NS, pod);
    return pid !== undefined && pid !== pidBefore;
  }, 60_000, state);
  await until('pod Ready again', () => at(cond(h.get('pods', pod), 'Ready'), 'status') === 'True', 90_000, state);
  await until('every partition back to an ISR of 3', async () => (await isrSizes()).every((n) => n === 3), 60_000, state);
  await until('cluster Ready', () => at(cond(h.get('kafkaclusters', CLUSTER), 'Ready'), 'status') === 'True', 60_000, state);
}, 240_000);

test('an image change rolls the brokers one at a time, controller last, never below min ISR, losing nothing', async () => {
  const controller = at(h.get('kafkaclusters', CLUSTER), 'status', 'controller');
  const pidsBefore = [0, 1, 2].map((i) => h.runner?.pid(NS, `${CLUSTER}-broker-${i}`));
  const partitions = [0, 1, 2, 3, 4, 5];
  const producer = SequenceProducer.start({ bootstrap: bootstrap.join(','), topic: TOPIC, partitions: 6, rate: 300, acks: 'all', idempotent: true });
  let minIsr = 3;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        const sizes = await isrSizes();
        if (sizes.length === 6) minIsr = Math.min(minIsr, ...sizes);
      } catch {
        // a broker restarting can fail one Metadata call; the next one counts
      }
      await sleep(100);
    }
  })();
  const deletionsBefore = h.api.requestLog.filter((l) => l.startsWith('DELETE pods')).length;
  try {
    await producer.waitForMoreAcks(50, { partitions, timeoutMs: 30_000 });
    const templateHash = (): Json | undefined => at(h.get('statefulsets', `${CLUSTER}-broker`), 'spec', 'template', 'metadata', 'annotations', ANNOTATION_TEMPLATE_HASH);
    const oldHash = templateHash();
    h.applyCluster(clusterSpec('strand:v2'));
    const hash = await until('new template', () => (templateHash() !== oldHash ? templateHash() : undefined), 30_000, state);
    await until(
      'every pod on the new template and the cluster Ready',
      () =>
        [0, 1, 2].every((i) => at(h.get('pods', `${CLUSTER}-broker-${i}`), 'metadata', 'annotations', ANNOTATION_TEMPLATE_HASH) === hash) &&
        at(cond(h.get('kafkaclusters', CLUSTER), 'Ready'), 'status') === 'True' &&
        at(h.get('kafkaclusters', CLUSTER), 'status', 'observedGeneration') === at(h.get('kafkaclusters', CLUSTER), 'metadata', 'generation'),
      240_000,
      () => `${state()}\n${producer.summary()}`,
    );
    await producer.waitForMoreAcks(50, { partitions, timeoutMs: 30_000 });
    const done = await producer.finish();
    expect(producer.fatalErrors()).toEqual([]);
    const read = await readAllWithKcat(bootstrap.join(','), TOPIC);
    assertInvariants({ acked: producer.acked, read, partitions, producedSeqs: done.produced ?? 0 }, state);
  } finally {
    watching = false;
    await watcher;
    producer.kill();
  }
  expect(minIsr).toBeGreaterThanOrEqual(2);
  const pidsAfter = [0, 1, 2].map((i) => h.runner?.pid(NS, `${CLUSTER}-broker-${i}`));
  for (let i = 0; i < 3; i++) expect(pidsAfter[i]).not.toBe(pidsBefore[i]);
  const deletions = h.api.requestLog.filter((l) => l.startsWith('DELETE pods')).slice(deletionsBefore);
  expect(deletions).toHaveLength(3);
  expect(deletions[2]).toBe(`DELETE pods ${CLUSTER}-broker-${String(controller)}`);
}, 400_000);
