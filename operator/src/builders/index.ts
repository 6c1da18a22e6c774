/**
 * Pure resource builders: KafkaCluster (parsed, defaulted) in, Kubernetes objects out. No I/O;
 * the reconcilers apply what these return. `buildClusterResources` lists everything a cluster
 * owns, in a safe apply order (config and Services before the pods that need them).
 */
import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import type { KafkaCluster } from '../api/index.js';
import { buildConfigMap } from './configmap.js';
import { buildBrokerPdb, buildNatsPdb, buildServiceMonitor, type UnstructuredObject } from './disruption.js';
import { buildNatsHeadlessService, buildNatsService, buildNatsStatefulSet } from './nats.js';
import { buildBootstrapService, buildExternalServices, buildHeadlessService, buildMetricsService } from './services.js';
import { buildBrokerStatefulSet, DEFAULT_BUILD_OPTIONS, type BuildOptions } from './statefulset.js';

export * from './names.js';
export * from './configmap.js';
export * from './services.js';
export * from './statefulset.js';
export * from './nats.js';
export * from './disruption.js';
export * from './rbac.js';

export type ClusterObject = V1ConfigMap | V1Service | V1StatefulSet | V1PodDisruptionBudget | UnstructuredObject;

export interface ClusterBuildOptions extends BuildOptions {
  /** Include the ServiceMonitor only when spec.metrics.serviceMonitor AND its CRD is installed. */
  readonly serviceMonitorCrdInstalled: boolean;
}

/** Every object the cluster owns, in apply order. */
export function buildClusterResources(
  c: KafkaCluster,
  opts: ClusterBuildOptions = { ...DEFAULT_BUILD_OPTIONS, serviceMonitorCrdInstalled: false },
): ClusterObject[] {
  const out: ClusterObject[] = [];
  if (c.spec.metadata.nats.managed !== undefined) {
    out.push(buildNatsHeadlessService(c), buildNatsService(c), buildNatsPdb(c), buildNatsStatefulSet(c));
  }
  out.push(buildConfigMap(c), buildHeadlessService(c), buildBootstrapService(c), buildMetricsService(c), ...buildExternalServices(c), buildBrokerPdb(c));
  if (c.spec.metrics.serviceMonitor && opts.serviceMonitorCrdInstalled) out.push(buildServiceMonitor(c));
  out.push(buildBrokerStatefulSet(c, opts));
  return out;
}
