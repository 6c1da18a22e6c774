/**
 * Broker Services: headless (stable per-broker DNS, also for not-yet-ready brokers, which must
 * find each other to become ready), bootstrap (ready brokers only), metrics (Prometheus
 * annotations) and, with listeners.external, one NodePort/LoadBalancer Service per broker.
 */
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import { HTTP_PORT, KAFKA_PORT, type KafkaCluster } from '../api/index.js';
import { LABEL_POD_NAME, labels, names, ownedMeta, selectorLabels } from './names.js';

const kafkaPort: V1ServicePort = { name: 'kafka', port: KAFKA_PORT, targetPort: 'kafka', protocol: 'TCP' };
const httpPort: V1ServicePort = { name: 'http', port: HTTP_PORT, targetPort: 'http', protocol: 'TCP' };

export function buildHeadlessService(c: KafkaCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.headlessService(c.metadata.name), 'broker'),
    spec: {
      clusterIP: 'None',
      // Replication and the ISR need peer DNS before /readyz passes.
      publishNotReadyAddresses: true,
      selector: selectorLabels(c.metadata.name, 'broker'),
      ports: [kafkaPort, httpPort],
    },
  };
}

export function buildBootstrapService(c: KafkaCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.bootstrapService(c.metadata.name), 'broker'),
    spec: { type: 'ClusterIP', selector: selectorLabels(c.metadata.name, 'broker'), ports: [kafkaPort] },
  };
}

export const PROMETHEUS_ANNOTATIONS = {
  'prometheus.io/scrape': 'true',
  'prometheus.io/port': String(HTTP_PORT),
  'prometheus.io/path': '/metrics',
} as const;

export function buildMetricsService(c: KafkaCluster): V1Service {
  const meta = ownedMeta(c, names.metricsService(c.metadata.name), 'broker', { ...PROMETHEUS_ANNOTATIONS });
  // The ServiceMonitor selects this Service by this label.
  meta.labels = { ...labels(c.metadata.name, 'broker'), 'strand.dev/metrics': 'true' };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: 'ClusterIP',
      // A broker that is not ready is exactly the one whose metrics matter.
      publishNotReadyAddresses: true,
      selector: selectorLabels(c.metadata.name, 'broker'),
      ports: [httpPort],
    },
  };
}

/**
 * One Service per broker for clients outside the cluster. The broker has a single listener
 * and advertises its pod DNS name (config.ts), so external clients need that name to
 * resolve to the external address (see README, "Kubernetes"); the Services are the plumbing.
 */
export function buildExternalServices(c: KafkaCluster): V1Service[] {
  const ext = c.spec.listeners.external;
  if (ext === undefined) return [];
  const out: V1Service[] = [];
  for (let i = 0; i < c.spec.replicas; i++) {
    const port: V1ServicePort = { ...kafkaPort };
    if (ext.type === 'NodePort' && ext.nodePortBase !== undefined) port.nodePort = ext.nodePortBase + i;
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: ownedMeta(c, names.externalService(c.metadata.name, i), 'broker'),
      spec: {
        type: ext.type,
        externalTrafficPolicy: 'Local',
        selector: { ...selectorLabels(c.metadata.name, 'broker'), [LABEL_POD_NAME]: names.brokerPod(c.metadata.name, i) },
        ports: [port],
      },
    });
  }
  return out;
}
