/**
 * Test-only: the whole operator world on 127.0.0.1 — the fake API server, optionally a real
 * nats-server and the pod runner (real broker processes), and the real operator
 * (startOperator, @kubernetes/client-node) talking to the API server through a kubeconfig.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { TestNatsServer } from '../../broker/src/cluster/test-nats-server.js';
import type { KafkaClusterInput, TopicInput } from '../../operator/src/api/index.js';
import { startOperator, type OperatorOptions, type RunningOperator } from '../../operator/src/runtime/operator.js';
import type { BrokerAddressResolver } from '../../operator/src/reconcilers/kafka-clients.js';
import { brokerHost } from '../../operator/src/builders/index.js';
import type { JsonObject } from './kube-api/json.js';
import { FakeApiServer } from './kube-api/server.js';
import type { KObject } from './kube-api/store.js';
import { PodRunner } from './pod-runner.js';

export const NS = 'strand-test';

export interface Harness {
  readonly api: FakeApiServer;
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly nats: TestNatsServer | null;
  readonly runner: PodRunner | null;
  readonly operator: RunningOperator;
  readonly logger: Logger;
  get(plural: 'kafkaclusters' | 'topics' | 'pods' | 'statefulsets' | 'services' | 'configmaps' | 'poddisruptionbudgets' | 'leases', name: string, ns?: string): KObject | undefined;
  applyCluster(c: KafkaClusterInput): KObject;
  applyTopic(t: TopicInput): KObject;
  /** Allocates the local ports of a cluster's broker pods, so the operator can reach them. */
  preallocate(cluster: string, replicas: number): Promise<void>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Start nats-server and the pod runner (real brokers). */
  readonly brokers: boolean;
  readonly operator?: Partial<OperatorOptions>;
}

function typeOf(api: FakeApiServer, plural: string): NonNullable<ReturnType<FakeApiServer['store']['typeByPlural']>> {
  const known: Record<string, [string, string]> = {
    kafkaclusters: ['strand.dev', 'v1alpha1'],
    topics: ['strand.dev', 'v1alpha1'],
    statefulsets: ['apps', 'v1'],
    poddisruptionbudgets: ['policy', 'v1'],
    leases: ['coordination.k8s.io', 'v1'],
  };
  const [g, v] = known[plural] ?? ['', 'v1'];
  const t = api.store.typeByPlural(g, v, plural);
  if (!t) throw new Error(`unknown plural ${plural}`);
  return t;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-operator-'));
  const logger = pino({ level: process.env['STRAND_TEST_LOG_LEVEL'] ?? 'silent' });
  const api = new FakeApiServer({ bookmarkIntervalMs: 2000, watchMaxMs: 30_000 });
  await api.start();
  const kubeconfigPath = await api.writeKubeconfig(join(dir, 'kubeconfig'), NS);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const nats = opts.brokers ? await TestNatsServer.start() : null;
  const runner = opts.brokers ? new PodRunner(api.store, { dir, graceMs: 15_000 }) : null;
  runner?.start();

  // Broker ordinal -> the runner's local ports (stable per pod, like pod DNS names).
  const ports = new Map<string, { kafka: number; http: number }>();
  const resolver: BrokerAddressResolver = {
    kafka: (c, i) => {
      const p = ports.get(`${c.metadata.namespace ?? NS}/${c.metadata.name}-broker-${i}`);
      return p ? `127.0.0.1:${p.kafka}` : `${brokerHost(c, i)}:9092`;
    },
    http: (c, i) => {
      const p = ports.get(`${c.metadata.namespace ?? NS}/${c.metadata.name}-broker-${i}`);
      return p ? `http://127.0.0.1:${p.http}` : `http://${brokerHost(c, i)}:9644`;
    },
  };
  const operator = await startOperator({
    kubeConfig: kc,
    namespaces: [NS],
    http: { host: '127.0.0.1', port: 0 },
    logger,
    leaseNamespace: NS,
    identity: 'test-operator',
    defaultImage: 'strand:test',
    resolver,
    resyncMs: 3000,
    busyRequeueMs: 500,
    stuckAfterMs: 90_000,
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 500,
    ...opts.operator,
  });

  const h: Harness = {
    api,
    dir,
    kubeconfigPath,
    nats,
    runner,
    operator,
    logger,
    get: (plural, name, ns = NS) => api.store.tryGet(typeOf(api, plural), ns, name),
    applyCluster: (c) => {
      const t = typeOf(api, 'kafkaclusters');
      const body = c as unknown as JsonObject;
      return api.store.patch(t, NS, c.metadata.name, 'apply', body, { fieldManager: 'kubectl' });
    },
    applyTopic: (tp) => {
      const t = typeOf(api, 'topics');
      return api.store.patch(t, NS, tp.metadata.name, 'apply', tp as unknown as JsonObject, { fieldManager: 'kubectl' });
    },
    preallocate: async (cluster, replicas) => {
      for (let i = 0; i < replicas; i++) {
        const pod = `${cluster}-broker-${i}`;
        if (runner) ports.set(`${NS}/${pod}`, await runner.portsOf(NS, pod));
      }
    },
    stop: async () => {
      await operator.stop();
      await runner?.stop();
      await nats?.dispose();
      await api.stop();
      if (process.env['STRAND_KEEP_TEST_DIRS'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
