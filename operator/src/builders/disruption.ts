/** PodDisruptionBudgets (one voluntary disruption at a time) and the optional ServiceMonitor. */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { KafkaCluster } from '../api/index.js';
import { LABEL_CLUSTER, names, ownedMeta, selectorLabels, type Component } from './names.js';

function pdb(c: KafkaCluster, name: string, component: Component): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: ownedMeta(c, name, component),
    // One broker down at a time keeps RF 3 / min ISR 2 topics writable through node drains.
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(c.metadata.name, component) } },
  };
}

export function buildBrokerPdb(c: KafkaCluster): V1PodDisruptionBudget {
  return pdb(c, names.brokerPdb(c.metadata.name), 'broker');
}

export function buildNatsPdb(c: KafkaCluster): V1PodDisruptionBudget {
  return pdb(c, names.natsPdb(c.metadata.name), 'nats');
}

/** monitoring.coreos.com/v1 ServiceMonitor, as an unstructured object (no typed model for a foreign CRD). */
export interface UnstructuredObject {
  apiVersion: string;
  kind: string;
  metadata: ReturnType<typeof ownedMeta>;
  spec: Record<string, unknown>;
}

export const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

export function buildServiceMonitor(c: KafkaCluster): UnstructuredObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: ownedMeta(c, names.serviceMonitor(c.metadata.name), 'broker'),
    spec: {
      selector: { matchLabels: { ...selectorLabels(c.metadata.name, 'broker'), 'strand.dev/metrics': 'true' } },
      namespaceSelector: { matchNames: [c.metadata.namespace ?? 'default'] },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
      targetLabels: [LABEL_CLUSTER],
    },
  };
}
