/**
 * The managed NATS (spec.metadata.nats.managed): a JetStream-enabled nats-server StatefulSet
 * with file storage on a PVC (`-js -sd /data`), a headless Service for the cluster routes
 * and a client Service the brokers connect to. With replicas > 1 every server routes to all
 * peers by their stable DNS names; JetStream then replicates the brokers' KV buckets by Raft.
 */
import type { V1Service, V1StatefulSet } from '@kubernetes/client-node';
import type { KafkaCluster, ManagedNats } from '../api/index.js';
import { labels, names, namespaceOf, ownedMeta, selectorLabels } from './names.js';

export const NATS_CLIENT_PORT = 4222;
export const NATS_CLUSTER_PORT = 6222;
export const NATS_MONITOR_PORT = 8222;

function managed(c: KafkaCluster): ManagedNats {
  const m = c.spec.metadata.nats.managed;
  if (m === undefined) throw new Error(`KafkaCluster ${c.metadata.name} does not ask for a managed NATS`);
  return m;
}

/** nats-server flags; server names are the pod names (JetStream needs them unique and stable). */
export function natsArgs(c: KafkaCluster): string[] {
  const m = managed(c);
  const args = ['-js', '-sd', '/data', '-n', '$(POD_NAME)', '-p', String(NATS_CLIENT_PORT), '-m', String(NATS_MONITOR_PORT)];
  if (m.replicas > 1) {
    const sts = names.natsStatefulSet(c.metadata.name);
    const headless = names.natsHeadlessService(c.metadata.name);
    const routes = Array.from({ length: m.replicas }, (_, i) => `nats://${sts}-${i}.${headless}.${namespaceOf(c)}.svc:${NATS_CLUSTER_PORT}`);
    args.push('--cluster_name', sts, '--cluster', `nats://0.0.0.0:${NATS_CLUSTER_PORT}`, '--routes', routes.join(','));
  }
  return args;
}

export function buildNatsHeadlessService(c: KafkaCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.natsHeadlessService(c.metadata.name), 'nats'),
    spec: {
      clusterIP: 'None',
      // Routes must form before any server is healthy.
      publishNotReadyAddresses: true,
      selector: selectorLabels(c.metadata.name, 'nats'),
      ports: [
        { name: 'client', port: NATS_CLIENT_PORT, targetPort: 'client' },
        { name: 'cluster', port: NATS_CLUSTER_PORT, targetPort: 'cluster' },
      ],
    },
  };
}

export function buildNatsService(c: KafkaCluster): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(c, names.natsService(c.metadata.name), 'nats'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(c.metadata.name, 'nats'),
      ports: [{ name: 'client', port: NATS_CLIENT_PORT, targetPort: 'client' }],
    },
  };
}

export function buildNatsStatefulSet(c: KafkaCluster): V1StatefulSet {
  const m = managed(c);
  const name = c.metadata.name;
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMeta(c, names.natsStatefulSet(name), 'nats'),
    spec: {
      replicas: m.replicas,
      serviceName: names.natsHeadlessService(name),
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'RollingUpdate' },
      selector: { matchLabels: selectorLabels(name, 'nats') },
      template: {
        metadata: { labels: labels(name, 'nats') },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(name, 'nats') } },
          ],
          containers: [
            {
              name: 'nats',
              image: m.image,
              imagePullPolicy: 'IfNotPresent',
              args: natsArgs(c),
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'client', containerPort: NATS_CLIENT_PORT },
                { name: 'cluster', containerPort: NATS_CLUSTER_PORT },
                { name: 'monitor', containerPort: NATS_MONITOR_PORT },
              ],
              livenessProbe: { httpGet: { path: '/healthz?js-enabled-only=true', port: 'monitor' }, periodSeconds: 10, failureThreshold: 6 },
              readinessProbe: { httpGet: { path: '/healthz', port: 'monitor' }, periodSeconds: 5, failureThreshold: 3 },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: 'data', labels: labels(name, 'nats') },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: String(m.storage.size) } },
            ...(m.storage.storageClassName !== undefined ? { storageClassName: m.storage.storageClassName } : {}),
          },
        },
      ],
    },
  };
}
