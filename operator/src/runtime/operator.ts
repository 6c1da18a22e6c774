/**
 * The operator's composition root: metrics and HTTP first (so probes answer from the start),
 * then leader election; only the leader starts informers and controllers, and stops them
 * when it loses the lease. Controllers:
 *
 * - kafkacluster: KafkaCluster events, plus events on the StatefulSets and pods it owns
 *   (mapped back by the strand.dev/cluster label);
 * - topic: Topic events, plus KafkaCluster events (a cluster becoming ready retries its topics).
 */
import { hostname } from 'node:os';
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LABEL_CLUSTER, LABEL_MANAGED_BY } from '../builders/index.js';
import { ClusterReconciler } from '../reconcilers/cluster-reconciler.js';
import { dnsResolver, KafkaClients, type BrokerAddressResolver } from '../reconcilers/kafka-clients.js';
import { TopicReconciler } from '../reconcilers/topic-reconciler.js';
import { Controller, type ObjectKey } from './controller.js';
import { startOperatorHttp, type OperatorHttp } from './http.js';
import { ResilientInformer } from './informers.js';
import { ClientNodeKube, KIND, type KindInfo } from './kube.js';
import { LeaderElector } from './leader-election.js';
import { OperatorMetrics } from './metrics.js';

export interface OperatorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespaces to watch; empty = all namespaces. */
  readonly namespaces: readonly string[];
  /** HOST:PORT for /metrics and /healthz; null = no HTTP server. */
  readonly http: { readonly host: string; readonly port: number } | null;
  readonly logger: Logger;
  /** Where the leader Lease lives. */
  readonly leaseNamespace: string;
  readonly leaseName?: string;
  readonly identity?: string;
  readonly defaultImage: string;
  readonly resolver?: BrokerAddressResolver;
  readonly resyncMs?: number;
  readonly stuckAfterMs?: number;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
  readonly busyRequeueMs?: number;
  /** Called when leadership is lost (main exits; tests may ignore). */
  readonly onLostLeadership?: () => void;
}

export interface RunningOperator {
  readonly httpPort: number | null;
  readonly metrics: OperatorMetrics;
  isLeader(): boolean;
  /** Resolves once this replica leads and its informers have listed. */
  whenLeading(): Promise<void>;
  stop(): Promise<void>;
}

/** Informers watch failing for longer than this make /healthz fail (the pod gets restarted). */
const WATCH_UNHEALTHY_AFTER_MS = 120_000;

function clusterKeyFromLabel(o: KubernetesObject): ObjectKey[] {
  const ns = o.metadata?.namespace;
  const c = o.metadata?.labels?.[LABEL_CLUSTER];
  return ns !== undefined && c !== undefined ? [{ namespace: ns, name: c }] : [];
}

export async function startOperator(opts: OperatorOptions): Promise<RunningOperator> {
  const log = opts.logger;
  const metrics = new OperatorMetrics();
  const kube = new ClientNodeKube(opts.kubeConfig);
  const clients = new KafkaClients(opts.resolver ?? dnsResolver, log);
  const scopes: Array<string | undefined> = opts.namespaces.length === 0 ? [undefined] : [...opts.namespaces];
  let informers: Array<ResilientInformer<KubernetesObject>> = [];
  let controllers: Controller[] = [];
  let leadingResolve: () => void = () => undefined;
  let leading = new Promise<void>((r) => (leadingResolve = r));
  let transition: Promise<void> = Promise.resolve();

  const makeInformers = <T extends KubernetesObject>(kind: KindInfo, selector?: string): Array<ResilientInformer<T>> =>
    scopes.map((ns) => new ResilientInformer<T>(opts.kubeConfig, kube, kind, ns, log, selector));

  const startControllers = async (): Promise<void> => {
    const clusterRec = new ClusterReconciler({
      kube,
      clients,
      metrics,
      defaultImage: opts.defaultImage,
      stuckAfterMs: opts.stuckAfterMs ?? 5 * 60_000,
      ...(opts.busyRequeueMs !== undefined && { busyRequeueMs: opts.busyRequeueMs }),
    });
    const topicRec = new TopicReconciler({ kube, clients, ...(opts.busyRequeueMs !== undefined && { busyRequeueMs: opts.busyRequeueMs }) });
    const ctlOpts = { resyncMs: opts.resyncMs ?? 60_000 };
    const clusterCtl = new Controller('kafkacluster', (k, l) => clusterRec.reconcile(k, l), metrics, log, ctlOpts);
    const topicCtl = new Controller('topic', (k, l) => topicRec.reconcile(k, l), metrics, log, { ...ctlOpts, concurrency: 4 });

    const clusterInf = makeInformers(KIND.KafkaCluster);
    const topicInf = makeInformers<KubernetesObject & { spec?: { clusterRef?: string } }>(KIND.Topic);
    const owned = `${LABEL_MANAGED_BY}=strand-operator`;
    const stsInf = makeInformers(KIND.StatefulSet, owned);
    const podInf = makeInformers(KIND.Pod, owned);
    for (const i of clusterInf) {
      clusterCtl.watchPrimary(i);
      topicCtl.watchMapped(i, (c) =>
        topicInf.flatMap((ti) =>
          ti
            .list()
            .filter((t) => t.metadata?.namespace === c.metadata?.namespace && t.spec?.clusterRef === c.metadata?.name)
            .map((t) => ({ namespace: t.metadata?.namespace ?? '', name: t.metadata?.name ?? '' })),
        ),
      );
    }
    for (const i of topicInf) topicCtl.watchPrimary(i);
    for (const i of [...stsInf, ...podInf]) clusterCtl.watchMapped(i, clusterKeyFromLabel);

    informers = [...clusterInf, ...topicInf, ...stsInf, ...podInf] as Array<ResilientInformer<KubernetesObject>>;
    controllers = [clusterCtl, topicCtl];
    await Promise.all(informers.map((i) => i.start()));
    for (const c of controllers) c.start();
    metrics.leader.set(1);
    log.info({ namespaces: opts.namespaces.length === 0 ? ['*'] : opts.namespaces }, 'controllers started');
    leadingResolve();
  };

  const stopControllers = async (): Promise<void> => {
    metrics.leader.set(0);
    await Promise.all(controllers.map((c) => c.stop()));
    await Promise.all(informers.map((i) => i.stop()));
    controllers = [];
    informers = [];
    leading = new Promise<void>((r) => (leadingResolve = r));
  };

  const elector = new LeaderElector(
    opts.kubeConfig,
    {
      namespace: opts.leaseNamespace,
      name: opts.leaseName ?? 'strand-operator',
      identity: opts.identity ?? `${hostname()}-${process.pid}`,
      ...(opts.leaseDurationMs !== undefined && { leaseDurationMs: opts.leaseDurationMs }),
      ...(opts.renewDeadlineMs !== undefined && { renewDeadlineMs: opts.renewDeadlineMs }),
      ...(opts.retryPeriodMs !== undefined && { retryPeriodMs: opts.retryPeriodMs }),
    },
    log,
    {
      // Serialized, so a quick lose-then-win never runs two sets of controllers.
      onStartedLeading: () => {
        transition = transition.then(startControllers).catch((err: unknown) => log.error({ err }, 'starting controllers failed'));
      },
      onStoppedLeading: () => {
        transition = transition.then(stopControllers).catch((err: unknown) => log.error({ err }, 'stopping controllers failed'));
        opts.onLostLeadership?.();
      },
    },
  );

  let http: OperatorHttp | null = null;
  if (opts.http !== null) {
    http = await startOperatorHttp(opts.http.host, opts.http.port, metrics, {
      isLeader: () => elector.isLeader,
      unhealthyReason: () => {
        const bad = informers.find((i) => i.failingForMs() > WATCH_UNHEALTHY_AFTER_MS);
        return bad ? `watch of ${bad.kind.plural} failing for ${Math.round(bad.failingForMs() / 1000)} s` : null;
      },
    });
    log.info({ host: http.host, port: http.port }, 'operator http listening');
  }
  elector.start();

  return {
    httpPort: http?.port ?? null,
    metrics,
    isLeader: () => elector.isLeader,
    whenLeading: () => leading,
    stop: async () => {
      await elector.stop();
      await transition;
      await stopControllers();
      await clients.closeAll();
      await http?.close();
    },
  };
}
