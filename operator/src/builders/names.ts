/**
 * Names, labels and owner references of everything built for a KafkaCluster. One place, so
 * the reconcilers, the builders and the tests agree on them.
 *
 * Lengths: the cluster name is at most 40 characters (a CRD rule), so every derived name
 * stays within 63 (DNS label), including the StatefulSet controller-revision-hash label
 * `<name>-broker-<10 chars>` and per-broker Services `<name>-broker-<id>-external`.
 */
import { createHash } from 'node:crypto';
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KAFKA_CLUSTER_KIND, type KafkaCluster } from '../api/index.js';

export const names = {
  configMap: (c: string): string => `${c}-config`,
  brokerStatefulSet: (c: string): string => `${c}-broker`,
  brokerPod: (c: string, ordinal: number): string => `${c}-broker-${ordinal}`,
  headlessService: (c: string): string => `${c}-brokers`,
  bootstrapService: (c: string): string => `${c}-bootstrap`,
  metricsService: (c: string): string => `${c}-metrics`,
  externalService: (c: string, ordinal: number): string => `${c}-broker-${ordinal}-external`,
  brokerPdb: (c: string): string => `${c}-broker`,
  serviceMonitor: (c: string): string => `${c}-broker`,
  natsStatefulSet: (c: string): string => `${c}-nats`,
  natsService: (c: string): string => `${c}-nats`,
  natsHeadlessService: (c: string): string => `${c}-nats-headless`,
  natsPdb: (c: string): string => `${c}-nats`,
  /** The PVC the StatefulSet controller creates for broker `ordinal` (template "data"). */
  brokerClaim: (c: string, ordinal: number): string => `data-${c}-broker-${ordinal}`,
  natsClaim: (c: string, ordinal: number): string => `data-${c}-nats-${ordinal}`,
};

/** ServiceAccount the broker pods use when rack awareness needs to read their node. Made by the Helm chart. */
export const BROKER_SERVICE_ACCOUNT = 'strand-broker';

export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_CLUSTER = 'strand.dev/cluster';
/** Set by the StatefulSet controller on every pod (Kubernetes >= 1.28). */
export const LABEL_POD_INDEX = 'apps.kubernetes.io/pod-index';
export const LABEL_POD_NAME = 'statefulset.kubernetes.io/pod-name';
/** Pod-template annotation: hash of the broker settings, so a config change is a template change (and a roll). */
export const ANNOTATION_CONFIG_HASH = 'strand.dev/config-hash';

export type Component = 'broker' | 'nats';

/** Labels that select a component's pods. Never change these: selectors are immutable. */
export function selectorLabels(cluster: string, component: Component): Record<string, string> {
  return { [LABEL_NAME]: component === 'broker' ? 'strand' : 'nats', [LABEL_INSTANCE]: cluster, [LABEL_COMPONENT]: component };
}

/** Selector labels plus the informational ones, on every object and pod. */
export function labels(cluster: string, component: Component): Record<string, string> {
  return { ...selectorLabels(cluster, component), [LABEL_MANAGED_BY]: 'strand-operator', [LABEL_CLUSTER]: cluster };
}

export function ownerReference(c: KafkaCluster): V1OwnerReference {
  const uid = c.metadata.uid;
  // Without a uid the garbage collector could never delete the children: refuse to build.
  if (uid === undefined || uid === '') throw new Error(`KafkaCluster ${c.metadata.name} has no metadata.uid`);
  return { apiVersion: API_VERSION, kind: KAFKA_CLUSTER_KIND, name: c.metadata.name, uid, controller: true, blockOwnerDeletion: true };
}

export function namespaceOf(c: KafkaCluster): string {
  return c.metadata.namespace ?? 'default';
}

/** metadata for an object owned by the cluster. */
export function ownedMeta(c: KafkaCluster, name: string, component: Component, annotations?: Record<string, string>): V1ObjectMeta {
  const meta: V1ObjectMeta = { name, namespace: namespaceOf(c), labels: labels(c.metadata.name, component), ownerReferences: [ownerReference(c)] };
  if (annotations !== undefined) meta.annotations = annotations;
  return meta;
}

export function shortHash(text: string, length = 16): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * The broker `--cluster` name (NATS bucket prefix). Namespace-qualified, because two
 * KafkaClusters of one name in different namespaces may share an external NATS.
 */
export function brokerClusterId(c: KafkaCluster): string {
  const full = `${namespaceOf(c)}_${c.metadata.name}`;
  return full.length <= 64 ? full : `${c.metadata.name}_${shortHash(namespaceOf(c), 8)}`;
}

/** Stable per-broker DNS name through the headless Service. */
export function brokerHost(c: KafkaCluster, ordinal: number | string): string {
  return `${typeof ordinal === 'number' ? names.brokerPod(c.metadata.name, ordinal) : ordinal}.${names.headlessService(c.metadata.name)}.${namespaceOf(c)}.svc`;
}

/** What clients bootstrap from (status.bootstrap). */
export function bootstrapAddress(c: KafkaCluster): string {
  return `${names.bootstrapService(c.metadata.name)}.${namespaceOf(c)}.svc:9092`;
}

/** The NATS URL the brokers use: the managed NATS client Service or spec.metadata.nats.url. */
export function natsUrl(c: KafkaCluster): string {
  const url = c.spec.metadata.nats.url;
  if (url !== undefined) return url;
  return `nats://${names.natsService(c.metadata.name)}.${namespaceOf(c)}.svc:4222`;
}
