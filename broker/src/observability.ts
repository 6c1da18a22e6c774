/**
 * Composition-root helper for the broker's HTTP side: builds BrokerMetrics over a
 * BrokerIntrospection of the real parts (metadata image, replica manager, group
 * coordinator), hooks the replica manager's ISR changes into it, and starts the fastify
 * server on --http. Kept out of broker.ts so the single-broker and cluster start-ups share it.
 *
 * The metrics object exists before the HTTP server (broker.ts hands its event hooks to the
 * dispatcher and listener), but nothing is served until the metadata has loaded, so a
 * scrape never sees a half-built broker.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { MetadataImage } from './cluster/types.js';
import type { BrokerConfig } from './config.js';
import type { GroupCoordinator, GroupSummary } from './coordinator/group-coordinator.js';
import { brokerIntrospection } from './http/introspection-adapter.js';
import { GROUP_STATES, type BrokerIntrospection, type ControllerStatus, type GroupState, type GroupView, type ReadinessFacts } from './http/introspection.js';
import { BrokerMetrics } from './http/metrics.js';
import { startHttpServer, type RunningHttpServer } from './http/server.js';
import type { ReplicaManagerImpl } from './replication/replica-manager.js';

export interface ObservabilityParts {
  /** The configuration as served (bound ports). */
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly image: MetadataImage;
  readonly replicas: Pick<ReplicaManagerImpl, 'partition' | 'purgatorySizes' | 'onIsrChange'>;
  readonly coordinator: Pick<GroupCoordinator, 'groupSummaries' | 'loadingPartitionIds'>;
  /** Cluster mode: the controller lease. Default: the image's controller id, epoch -1. */
  readonly controller?: () => ControllerStatus;
  /**
   * Cluster mode: the lease itself (ControllerLease.current()), used when `controller` is not
   * given: holder id, its epoch, and whether this broker holds it.
   */
  readonly controllerLease?: () => { readonly controllerId: number; readonly epoch: number; readonly isMe: boolean };
  /** Cluster mode: registry session + watch state. Default: listed in the image, metadata loaded. */
  readonly readiness?: () => Omit<ReadinessFacts, 'coordinatorPartitionsLoading'>;
}

export interface Observability {
  readonly metrics: BrokerMetrics;
  readonly introspection: BrokerIntrospection;
  /** Bound HTTP address once serving. */
  readonly http: RunningHttpServer;
  close(): Promise<void>;
}

/** package.json's version; the module sits two levels (src) or three (dist) below it. */
function strandVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'strand' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this depth; try the next.
    }
  }
  return 'unknown';
}

const KNOWN_STATES: ReadonlySet<string> = new Set(GROUP_STATES);

function groupView(g: GroupSummary): GroupView {
  // The coordinator's states are Kafka's names; anything else would be a bug there, shown as Dead.
  const state = KNOWN_STATES.has(g.state) ? (g.state as GroupState) : 'Dead';
  return { ...g, state };
}

/** Metrics over the broker's parts; serving starts with startHttp(). */
export function createObservability(parts: ObservabilityParts): { metrics: BrokerMetrics; startHttp(): Promise<Observability> } {
  const { config, image, replicas, coordinator } = parts;
  const lease = parts.controllerLease;
  const controller: (() => ControllerStatus) | undefined =
    parts.controller ??
    (lease === undefined
      ? undefined
      : () => {
          const s = lease();
          // With no holder the lease's epoch is the last controller's: report -1 (unknown).
          return { controllerId: s.controllerId, isActive: s.isMe && s.controllerId === config.nodeId, epoch: s.controllerId < 0 ? -1 : s.epoch };
        });
  const introspection = brokerIntrospection({
    config,
    version: strandVersion(),
    image,
    replicas,
    purgatorySizes: () => replicas.purgatorySizes(),
    ...(controller === undefined ? {} : { controller }),
    groups: () => coordinator.groupSummaries().map(groupView),
    readiness: () => ({
      ...(parts.readiness?.() ?? { registered: image.broker(config.nodeId) !== undefined, metadataLoaded: true }),
      coordinatorPartitionsLoading: coordinator.loadingPartitionIds(),
    }),
  });
  const metrics = new BrokerMetrics(introspection, { partitionLabels: config.settings['metrics.partition.labels'] });
  const unsubscribeIsr = replicas.onIsrChange((change) => metrics.onIsrChange(change));

  const startHttp = async (): Promise<Observability> => {
    let http: RunningHttpServer;
    try {
      http = await startHttpServer({
        host: config.http.host,
        port: config.http.port,
        metrics,
        introspection,
        dataDir: config.dataDir,
        logger: parts.logger,
      });
    } catch (err) {
      unsubscribeIsr();
      throw err;
    }
    return {
      metrics,
      introspection,
      http,
      close: async () => {
        unsubscribeIsr();
        await http.close();
      },
    };
  };
  return { metrics, startHttp };
}
