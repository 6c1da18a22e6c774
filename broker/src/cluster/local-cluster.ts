/**
 * Wiring for `--metadata local`: open the file-backed store, make sure the cluster has an id,
 * register this broker, load the image and hand back a controller. The broker is its own
 * controller.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import type { ControllerState } from './controller-lease.js';
import { ClusterIdRecordSchema, Keys } from './keys.js';
import { LocalController } from './local-controller.js';
import { LocalMetadataStore } from './local-store.js';
import { MetadataImageImpl } from './metadata-image.js';
import { StorePartitionStateWriter, type PartitionStateWriter } from './partition-state-writer.js';
import { RevisionMismatchError, type BrokerRegistration, type ClusterMembership, type Controller, type MetadataStore } from './types.js';

/** What broker.ts needs from either metadata mode (local file store or NATS cluster). */
export interface ClusterHandle {
  readonly store: MetadataStore;
  readonly image: MetadataImageImpl;
  readonly controller: Controller;
  /** Registry session (always valid for a single broker). */
  readonly membership: ClusterMembership;
  /** The leader's ISR writes (docs/cluster-contract.md). */
  readonly isrWriter: PartitionStateWriter;
  /**
   * Controlled shutdown (cluster mode): announce it, wait (bounded) until this broker leads no
   * partition another live ISR member could lead. No-op for a single broker.
   */
  controlledShutdown(timeoutMs: number): Promise<void>;
  /**
   * Cluster mode: the controller lease as this broker sees it (holder, epoch, whether it is
   * this broker). Absent for a single broker, which has no lease.
   */
  readonly controllerLease?: () => ControllerState;
  close(): Promise<void>;
}

export interface LocalCluster extends ClusterHandle {
  readonly store: LocalMetadataStore;
  readonly controller: LocalController;
}

/** A single broker is always a member in good standing. */
export const ALWAYS_VALID: ClusterMembership = {
  isSessionValid: () => true,
  onSessionChange: () => () => undefined,
};

/** Kafka cluster ids are a UUID in 22-character base64url. */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** Returns the existing cluster id, or creates one (CAS: two racing brokers agree). */
export async function ensureClusterId(store: MetadataStore): Promise<string> {
  for (;;) {
    const cur = await store.get(Keys.clusterId);
    if (cur) {
      const parsed = ClusterIdRecordSchema.safeParse(cur.value);
      if (parsed.success) return parsed.data.clusterId;
      throw new Error(`malformed ${Keys.clusterId} in metadata store`);
    }
    const clusterId = newClusterId();
    try {
      await store.create(Keys.clusterId, { clusterId });
      return clusterId;
    } catch (err) {
      if (!(err instanceof RevisionMismatchError)) throw err;
    }
  }
}

/** Write this broker's registration under `brokers.<id>` (local mode registry). */
export async function registerBroker(store: MetadataStore, reg: BrokerRegistration): Promise<void> {
  for (;;) {
    const cur = await store.get(Keys.broker(reg.id));
    try {
      if (cur) await store.update(Keys.broker(reg.id), reg, cur.revision);
      else await store.create(Keys.broker(reg.id), reg);
      return;
    } catch (err) {
      if (!(err instanceof RevisionMismatchError)) throw err;
    }
  }
}

export async function startLocalCluster(config: BrokerConfig, logger?: Logger, random?: () => number): Promise<LocalCluster> {
  const store = await LocalMetadataStore.open(config.dataDir, logger);
  await ensureClusterId(store);
  await registerBroker(store, { id: config.nodeId, host: config.advertised.host, port: config.advertised.port, rack: config.rack });
  const image = new MetadataImageImpl(store, { nodeId: config.nodeId, settings: config.settings, logger });
  await image.start();
  const controller = new LocalController({ store, image, config, logger, random });
  return {
    store,
    image,
    controller,
    membership: ALWAYS_VALID,
    isrWriter: new StorePartitionStateWriter({ store, brokerId: config.nodeId, logger }),
    controlledShutdown: () => Promise.resolve(),
    close: async () => {
      image.stop();
      await store.close();
    },
  };
}
