/**
 * Wiring for `--metadata nats://HOST:PORT` (the counterpart of local-cluster.ts): connect,
 * open the `<cluster>_meta` store, make sure the cluster has an id, register this broker
 * (heartbeats; its session is the ClusterMembership the data plane obeys), contend for the
 * controller lease, load the image (live brokers from the registry, controllerId = lease
 * holder) and start the cluster controller.
 *
 * broker.session.timeout.ms is both the registry session and the controller lease, so a broker
 * cut off from NATS gives up leading partitions and the controllership at the same time.
 */
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import { ClusterController } from './cluster-controller.js';
import { ControllerLease } from './controller-lease.js';
import type { FailureDetectorTiming } from './failure-detector.js';
import { isUsable } from './leader-election.js';
import { ensureClusterId, type ClusterHandle } from './local-cluster.js';
import { MetadataImageImpl } from './metadata-image.js';
import { NatsBrokerRegistry } from './nats-broker-registry.js';
import { NatsMetadataStore, connectNats } from './nats-store.js';
import { StorePartitionStateWriter } from './partition-state-writer.js';
import { SessionGate } from './session-gate.js';

export interface NatsCluster extends ClusterHandle {
  readonly nc: NatsConnection;
  readonly store: NatsMetadataStore;
  readonly registry: NatsBrokerRegistry;
  readonly lease: ControllerLease;
  readonly controller: ClusterController;
}

export interface NatsClusterOptions {
  /** Placement randomness (tests pin it). */
  readonly random?: () => number;
  /** JetStream replicas of the buckets (1 on a single nats-server). */
  readonly replicas?: number;
  /** Registry/lease poll period; default heartbeat interval (tests shorten it). */
  readonly pollMs?: number;
  readonly forwardTimeoutMs?: number;
  /** ClusterControllerOptions.failureDetection (default on). */
  readonly failureDetection?: boolean | Partial<FailureDetectorTiming>;
}

export async function startNatsCluster(config: BrokerConfig, logger?: Logger, opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  if (config.metadata === 'local') throw new Error('startNatsCluster needs --metadata nats://HOST:PORT');
  const s = config.settings;
  const sessionTimeoutMs = s['broker.session.timeout.ms'];
  const heartbeatMs = Math.min(s['broker.heartbeat.interval.ms'], Math.floor(sessionTimeoutMs / 2));
  const nc = await connectNats(config.metadata.url, { name: `strand-broker-${config.nodeId}` });
  const cleanup: (() => Promise<unknown>)[] = [() => nc.close()];
  const undo = async (): Promise<void> => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  };
  try {
    const store = await NatsMetadataStore.open({ nc, cluster: config.cluster, replicas: opts.replicas, logger });
    cleanup.push(() => store.close());
    await ensureClusterId(store);
    const registry = await NatsBrokerRegistry.start({
      nc,
      cluster: config.cluster,
      self: { id: config.nodeId, host: config.advertised.host, port: config.advertised.port, rack: config.rack },
      sessionTimeoutMs,
      heartbeatMs,
      pollMs: opts.pollMs,
      replicas: opts.replicas,
      logger,
    });
    cleanup.push(() => registry.close());
    let lease: ControllerLease | null = null;
    const image = new MetadataImageImpl(store, {
      nodeId: config.nodeId,
      settings: s,
      controllerId: () => lease?.current().controllerId ?? -1,
      registry,
      logger,
    });
    await image.start();
    cleanup.push(() => Promise.resolve(image.stop()));
    lease = await ControllerLease.start({
      nc,
      cluster: config.cluster,
      brokerId: config.nodeId,
      store,
      leaseMs: sessionTimeoutMs,
      renewMs: heartbeatMs,
      pollMs: opts.pollMs ?? heartbeatMs,
      canLead: () => registry.isSessionValid(),
      replicas: opts.replicas,
      logger,
    });
    const heldLease = lease;
    cleanup.push(() => heldLease.close());
    const controller = new ClusterController({ nc, store, image, registry, lease, config, logger, random: opts.random, forwardTimeoutMs: opts.forwardTimeoutMs, failureDetection: opts.failureDetection });
    controller.start();

    // Contract (Liveness): after a lapse, lead again only once the session is valid AND the
    // image has applied everything the store held when it came back (we may have been deposed).
    const membership = new SessionGate({
      session: registry,
      storeRevision: () => store.currentRevision(),
      appliedRevision: () => store.watchedRevision(),
      logger,
    });
    cleanup.push(() => Promise.resolve(membership.close()));
    const isrWriter = new StorePartitionStateWriter({
      store,
      brokerId: config.nodeId,
      // KIP-841: never re-add a broker the controller is removing (dead or shutting down).
      eligible: (id) => isUsable(controller.view(), id),
      // ISR writes are leader actions: same gate as produce (no writes from a stale image).
      canWrite: () => membership.isSessionValid(),
      logger,
    });

    const controlledShutdown = async (timeoutMs: number): Promise<void> => {
      const started = Date.now();
      await registry.markShuttingDown();
      controller.kick();
      // Done when every partition we lead has no other usable ISR member to take over.
      const stuck = (): number => {
        const view = controller.view();
        let n = 0;
        for (const t of image.topics()) {
          for (const p of t.partitions) if (p.leader === config.nodeId && p.isr.some((b) => b !== config.nodeId && isUsable(view, b))) n++;
        }
        return n;
      };
      while (stuck() > 0 && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 100));
      const left = stuck();
      if (left > 0) logger?.warn({ partitions: left, waitedMs: Date.now() - started }, 'controlled shutdown timed out; stopping with leaderships left');
      else logger?.info({ waitedMs: Date.now() - started }, 'controlled shutdown: leaderships moved');
    };

    return {
      nc,
      store,
      image,
      registry,
      lease,
      controller,
      membership,
      isrWriter,
      controlledShutdown,
      controllerLease: () => heldLease.current(),
      close: async () => {
        membership.close();
        await controller.stop();
        await heldLease.close();
        await registry.close();
        image.stop();
        await store.close();
        await nc.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await undo();
    throw err;
  }
}
