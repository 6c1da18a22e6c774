/**
 * Composition root of one broker: bind the listener (so an ephemeral port is known before
 * registering), open the logs, start the metadata store/image/controller, the replica
 * manager, the group coordinator (loading __consumer_offsets in the background) and finally
 * serve requests. `stop()` undoes it in the order that loses nothing: answer parked group
 * joins and waiting long polls, stop accepting and finish in-flight requests, flush and
 * close the logs (writing the clean-shutdown marker), close the metadata store.
 */
import type { Logger } from 'pino';
import { startLocalCluster, type ClusterHandle } from './cluster/local-cluster.js';
import { startNatsCluster } from './cluster/nats-cluster.js';
import { effectiveTopicConfig, toLogConfig } from './cluster/topic-config.js';
import type { BrokerConfig, HostPort } from './config.js';
import { ReplicaManagerImpl } from './replication/replica-manager.js';
import { Dispatcher } from './server/dispatcher.js';
import { handlerRegistry } from './server/handlers/index.js';
import type { BrokerServices } from './server/handlers/types.js';
import { KafkaListener } from './server/listener.js';
import { startGroupServices, type GroupServices } from './server/offsets-topic.js';
import { LogManager } from './storage/log-manager.js';
import type { BrokerMetrics } from './http/metrics.js';
import { createObservability, type Observability } from './observability.js';

/** Pipelined requests per connection before reading pauses (Kafka handles one at a time). */
const MAX_IN_FLIGHT_PER_CONNECTION = 64;
/** Bound on waiting for the controller to move our leaderships away (controlled shutdown). */
export const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 30_000;
/** How long stop() lets in-flight requests finish. */
const DRAIN_TIMEOUT_MS = 3000;

export interface RunningBroker {
  /** The bound Kafka port (the ephemeral one for --listen HOST:0). */
  readonly port: number;
  readonly host: string;
  /** The configuration as served: listen/advertised carry the bound port. */
  readonly config: BrokerConfig;
  readonly services: BrokerServices;
  stop(): Promise<void>;
}

export async function startBroker(config: BrokerConfig, logger: Logger): Promise<RunningBroker> {
  const settings = config.settings;
  const listener = new KafkaListener(logger, {
    maxFrameBytes: settings['socket.request.max.bytes'],
    maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
  });
  const bound = await listener.listen(config.listen);
  const advertised: HostPort = config.advertised.port === 0 ? { host: config.advertised.host, port: bound.port } : config.advertised;
  const served: BrokerConfig = { ...config, listen: bound, advertised };

  let replicas: ReplicaManagerImpl | null = null;
  let logs: LogManager | null = null;
  let cluster: ClusterHandle | null = null;
  let groups: GroupServices | null = null;
  // Created once the parts it reads exist; storage's flush hook reaches it through this.
  let metrics: BrokerMetrics | null = null;
  let observability: Observability | null = null;
  try {
    logs = LogManager.open({
      dataDir: config.dataDir,
      logger,
      defaultConfig: toLogConfig(effectiveTopicConfig(settings, {}, {})),
      retentionCheckIntervalMs: settings['log.retention.check.interval.ms'],
      // Retention never deletes past what consumers may read.
      retentionUpperBound: (t, p) => replicas?.partition(t, p)?.highWatermark ?? 0,
      onFlush: (seconds) => metrics?.observeFlush(seconds),
    });
    if (!logs.wasCleanShutdown && logs.all().length > 0) logger.warn({ logs: logs.all().length }, 'previous shutdown was not clean: logs recovered their tails');

    cluster = config.metadata === 'local' ? await startLocalCluster(served, logger) : await startNatsCluster(served, logger);
    replicas = new ReplicaManagerImpl({ nodeId: config.nodeId, settings, metadata: cluster.image, logs, logger, membership: cluster.membership, isrWriter: cluster.isrWriter });
    replicas.start();
    groups = startGroupServices({ nodeId: config.nodeId, settings, metadata: cluster.image, controller: cluster.controller, replicas }, logger);
    // HTTP after the metadata has loaded, so /metrics and /readyz never see a half-built broker.
    const membership = cluster.membership;
    const image = cluster.image;
    const obs = createObservability({
      config: served,
      logger,
      image,
      replicas,
      coordinator: groups.coordinator,
      ...(cluster.controllerLease === undefined ? {} : { controllerLease: cluster.controllerLease }),
      // Registered = our registry session is valid and the image lists us (always, for a single broker).
      readiness: () => ({ registered: membership.isSessionValid() && image.broker(config.nodeId) !== undefined, metadataLoaded: true }),
    });
    metrics = obs.metrics;
    observability = await obs.startHttp();
  } catch (err) {
    await observability?.close();
    await groups?.stop();
    replicas?.stop();
    logs?.close();
    await cluster?.close();
    await listener.stop(0);
    throw err;
  }

  const services: BrokerServices = {
    nodeId: config.nodeId,
    config: served,
    metadata: cluster.image,
    controller: cluster.controller,
    replicas,
    logger,
    groups: groups.coordinator,
    offsetsTopic: groups.offsetsTopic,
    events: observability.metrics,
  };
  listener.attach(new Dispatcher(handlerRegistry(), services, logger, observability.metrics), observability.metrics);
  logger.info({ host: bound.host, port: bound.port, advertisedHost: advertised.host, advertisedPort: advertised.port, nodeId: config.nodeId, clusterId: cluster.image.clusterId }, 'listening');

  let stopping: Promise<void> | null = null;
  const rm = replicas;
  const lm = logs;
  const cl = cluster;
  const gs = groups;
  const obs = observability;
  const stop = async (): Promise<void> => {
    // Cluster: hand our leaderships to other ISR members while we still serve, so clients see
    // at most NOT_LEADER_OR_FOLLOWER and a metadata refresh (no-op for --metadata local).
    if (config.metadata !== 'local' && settings['controlled.shutdown.enable']) {
      await cl.controlledShutdown(CONTROLLED_SHUTDOWN_TIMEOUT_MS).catch((err: unknown) => logger.warn({ err }, 'controlled shutdown failed'));
    }
    // First: parked JoinGroup/SyncGroup answers NOT_COORDINATOR, so draining does not wait on them.
    await gs.stop();
    rm.stop();
    await listener.stop(DRAIN_TIMEOUT_MS);
    lm.close();
    await cl.close();
    // Last, so probes and scrapes answer for as long as the broker is still shutting down.
    await obs.close();
    logger.info('stopped');
  };
  return {
    port: bound.port,
    host: bound.host,
    config: served,
    services,
    stop: () => (stopping ??= stop()),
  };
}
