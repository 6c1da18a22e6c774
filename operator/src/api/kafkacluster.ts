/**
 * KafkaCluster (strand.dev/v1alpha1, namespaced): a broker StatefulSet and everything around
 * it. This zod schema is the source of crds/kafkaclusters.strand.dev.yaml (crd-gen.ts).
 *
 * Defaults live here (and so also in the CRD, where the API server applies them); rules that
 * zod cannot state structurally are `celChecked`, so the API server enforces them too.
 */
import { z } from 'zod';
import { ConfigError, parseBrokerArgs, SETTING_DEFAULTS } from '../../../broker/src/config.js';
import { API_VERSION, celChecked, Conditions, k8s, KafkaConfigMap, ObjectMeta, Quantity } from './meta.js';

export const KAFKA_CLUSTER_KIND = 'KafkaCluster';
export const KAFKA_CLUSTER_PLURAL = 'kafkaclusters';

/** Derived names (`<name>-broker-<ordinal>` etc.) must stay within 63 characters. */
export const MAX_CLUSTER_NAME_LENGTH = 40;
export const MAX_BROKERS = 128;

/** The Kafka and HTTP ports every broker pod listens on (the image EXPOSEs them). */
export const KAFKA_PORT = 9092;
export const HTTP_PORT = 9644;

const ResourceList = z.record(z.string().regex(/^[a-z0-9.\/-]+$/), Quantity);
export const Resources = z.object({
  requests: ResourceList.optional(),
  limits: ResourceList.optional(),
});

export const Storage = z.object({
  size: Quantity.default('10Gi'),
  storageClassName: z.string().min(1).optional(),
  /** Delete the broker PVCs when the KafkaCluster is deleted (default: keep the data). */
  deleteClaim: z.boolean().default(false),
});

export const Rack = z.object({
  /** Node label whose value becomes the broker's rack (broker.rack), e.g. topology.kubernetes.io/zone. */
  topologyKey: z.string().min(1).max(316),
});

export const ExternalListener = celChecked(
  z.object({
    type: z.enum(['NodePort', 'LoadBalancer']),
    /** NodePort only: broker i gets nodePortBase + i. Omitted: Kubernetes picks the ports. */
    nodePortBase: z.int().min(1).max(65535).optional(),
    /** Per-broker advertised host template; `{id}` is replaced by the broker id. */
    advertisedHostTemplate: z.string().min(1).max(253).optional(),
  }),
  { rule: "!has(self.nodePortBase) || self.type == 'NodePort'", message: 'nodePortBase is only valid with type NodePort' },
  (e) => e.nodePortBase === undefined || e.type === 'NodePort',
);

export const Listeners = z.object({
  external: ExternalListener.optional(),
});

const NatsStorage = z.object({
  size: Quantity.default('1Gi'),
  storageClassName: z.string().min(1).optional(),
});

export const ManagedNats = z.object({
  replicas: celChecked(
    z.int().min(1).max(5).default(3),
    { rule: 'self == 1 || self == 3 || self == 5', message: 'managed NATS replicas must be 1, 3 or 5 (a Raft quorum)' },
    (n) => n === 1 || n === 3 || n === 5,
  ),
  storage: NatsStorage.prefault({}),
  image: z.string().min(1).default('nats:2.10-alpine'),
});

export const NatsMetadata = celChecked(
  z.object({
    /** An existing NATS with JetStream, nats://HOST:PORT. */
    url: z.string().regex(/^nats:\/\/[^\s:/]+:[0-9]{1,5}$/).optional(),
    managed: ManagedNats.optional(),
  }),
  { rule: 'has(self.url) != has(self.managed)', message: 'set exactly one of url and managed' },
  (n) => (n.url === undefined) !== (n.managed === undefined),
);

export const ClusterMetadata = z.object({ nats: NatsMetadata });

export const Metrics = z.object({
  /** Also create a monitoring.coreos.com/v1 ServiceMonitor (needs the Prometheus Operator CRD). */
  serviceMonitor: z.boolean().default(false),
});

/** spec.config must name broker settings the broker knows and values it accepts. */
function brokerConfigProblem(config: Readonly<Record<string, string | number>>): string | null {
  for (const key of Object.keys(config)) {
    if (!(key in SETTING_DEFAULTS)) return `unknown broker setting "${key}"`;
  }
  try {
    parseBrokerArgs(Object.entries(config).flatMap(([k, v]) => ['--set', `${k}=${String(v)}`]), {});
    return null;
  } catch (e) {
    return e instanceof ConfigError ? e.message : String(e);
  }
}

export const KafkaClusterSpec = z.object({
  replicas: z.int().min(1).max(MAX_BROKERS).default(3),
  /** Broker image; omitted: the operator's own image (same image, `strand broker`). */
  image: z.string().min(1).optional(),
  resources: Resources.optional(),
  storage: Storage.prefault({}),
  rack: Rack.optional(),
  config: KafkaConfigMap.superRefine((cfg, ctx) => {
    const problem = brokerConfigProblem(cfg);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }).default({}),
  listeners: Listeners.prefault({}),
  metadata: ClusterMetadata,
  metrics: Metrics.prefault({}),
});

export const BrokerStatus = z.object({
  id: z.int().min(0),
  ready: z.boolean(),
  leaders: z.int().min(0),
  replicas: z.int().min(0),
});

export const ClusterPhase = z.enum(['Pending', 'Creating', 'Running', 'Rolling', 'Degraded']);
export type ClusterPhase = z.infer<typeof ClusterPhase>;

/** Condition types the operator sets on a KafkaCluster. */
export const CLUSTER_CONDITIONS = ['Ready', 'Progressing', 'Degraded'] as const;

export const KafkaClusterStatus = z.object({
  observedGeneration: z.int().min(0).optional(),
  phase: ClusterPhase.optional(),
  conditions: Conditions.optional(),
  readyBrokers: z.int().min(0).optional(),
  brokers: k8s(z.array(BrokerStatus), { listType: 'map', listMapKeys: ['id'] }).optional(),
  /** host:port list clients bootstrap from (the bootstrap Service). */
  bootstrap: z.string().optional(),
  underReplicatedPartitions: z.int().min(0).optional(),
  /** Active controller's broker id; -1 when none. */
  controller: z.int().min(-1).optional(),
});

export const KafkaClusterSchema = celChecked(
  z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(KAFKA_CLUSTER_KIND),
    metadata: ObjectMeta,
    spec: KafkaClusterSpec,
    status: KafkaClusterStatus.optional(),
  }),
  {
    rule: `self.metadata.name.size() <= ${MAX_CLUSTER_NAME_LENGTH}`,
    message: `metadata.name must be at most ${MAX_CLUSTER_NAME_LENGTH} characters (names of pods and Services derive from it)`,
  },
  (c) => c.metadata.name.length <= MAX_CLUSTER_NAME_LENGTH,
);

export type KafkaCluster = z.infer<typeof KafkaClusterSchema>;
export type KafkaClusterInput = z.input<typeof KafkaClusterSchema>;
export type KafkaClusterSpec = z.infer<typeof KafkaClusterSpec>;
export type KafkaClusterSpecInput = z.input<typeof KafkaClusterSpec>;
export type KafkaClusterStatus = z.infer<typeof KafkaClusterStatus>;
export type BrokerStatus = z.infer<typeof BrokerStatus>;
export type ManagedNats = z.infer<typeof ManagedNats>;
export type ExternalListener = z.infer<typeof ExternalListener>;
