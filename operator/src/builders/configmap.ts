/**
 * The broker settings ConfigMap. Its one key, STRAND_SET, is read by the broker through an
 * env var (`STRAND_SET="k=v\nk=v"`, broker/src/config.ts), so the settings stay readable with
 * `kubectl get cm <name>-config -o yaml` and the args stay short.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { KafkaCluster } from '../api/index.js';
import { names, ownedMeta, shortHash } from './names.js';

export const SETTINGS_KEY = 'STRAND_SET';

/**
 * spec.config plus the operator's defaults for settings that depend on the cluster size
 * (Kafka's offsets.topic.replication.factor of 3 would leave a 1- or 2-broker cluster
 * unable to create __consumer_offsets). Sorted so equal specs give byte-equal ConfigMaps.
 */
export function brokerSettings(c: KafkaCluster): [string, string][] {
  const merged: Record<string, string> = { 'offsets.topic.replication.factor': String(Math.min(3, c.spec.replicas)) };
  for (const [k, v] of Object.entries(c.spec.config)) merged[k] = String(v);
  return Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function settingsText(c: KafkaCluster): string {
  return brokerSettings(c)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Hash of the settings: the pod-template annotation that makes a config change roll the brokers. */
export function configHash(c: KafkaCluster): string {
  return shortHash(settingsText(c));
}

export function buildConfigMap(c: KafkaCluster): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedMeta(c, names.configMap(c.metadata.name), 'broker'),
    data: { [SETTINGS_KEY]: settingsText(c) },
  };
}
