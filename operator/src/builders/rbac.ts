/**
 * The operator's RBAC, least privilege, as data. helm/strand/templates/rbac.yaml spells the
 * same rules out in plain YAML (readable without rendering); a test checks the two agree, and
 * every object here is validated against the Kubernetes schemas.
 *
 * What needs what:
 * - kafkaclusters/topics: watch + update (finalizers live in metadata), status subresource;
 *   the finalizers subresources (update) because blockOwnerDeletion owner references require it.
 * - statefulsets, services, configmaps, poddisruptionbudgets, servicemonitors: full CRUD of
 *   the objects it owns.
 * - pods: get/list/watch to see readiness, delete to roll (StatefulSet OnDelete).
 * - persistentvolumeclaims: get/list/watch/delete, for deleteClaim on scale-down and deletion.
 * - events: create/patch. Leases: leader election, only in the operator's own namespace.
 * - customresourcedefinitions: get, only the ServiceMonitor one (does Prometheus Operator exist?).
 * - Brokers (ServiceAccount strand-broker): get nodes, for the rack init container.
 */
import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { GROUP } from '../api/index.js';
import { SERVICE_MONITOR_CRD } from './disruption.js';
import { BROKER_SERVICE_ACCOUNT } from './names.js';

const CRUD = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export const OPERATOR_RULES: readonly V1PolicyRule[] = [
  { apiGroups: [GROUP], resources: ['kafkaclusters', 'topics'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
  { apiGroups: [GROUP], resources: ['kafkaclusters/status', 'topics/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [GROUP], resources: ['kafkaclusters/finalizers', 'topics/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: CRUD },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: CRUD },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: CRUD },
  { apiGroups: [''], resources: ['pods', 'persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: CRUD },
];

/** Cluster-scoped read of one CRD; only meaningful in a ClusterRole. */
export const CRD_PROBE_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], resourceNames: [SERVICE_MONITOR_CRD], verbs: ['get'] },
];

export const LEADER_ELECTION_RULES: readonly V1PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
];

export const NODE_READER_RULES: readonly V1PolicyRule[] = [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }];

export interface RbacOptions {
  /** Helm release name: prefix of every cluster-scoped name. */
  readonly name: string;
  /** Namespace the operator runs in (its ServiceAccount and Lease). */
  readonly namespace: string;
  /** Namespaces it reconciles; empty = all namespaces (ClusterRoleBinding). */
  readonly watchNamespaces: readonly string[];
  /** Where to create the brokers' ServiceAccount; defaults to watchNamespaces or [namespace]. */
  readonly brokerNamespaces?: readonly string[];
}

export type RbacObject = V1ServiceAccount | V1ClusterRole | V1ClusterRoleBinding | V1Role | V1RoleBinding;

const RBAC_API = 'rbac.authorization.k8s.io/v1';
const rules = (rs: readonly V1PolicyRule[]): V1PolicyRule[] => rs.map((r) => ({ ...r }));

export function buildOperatorRbac(o: RbacOptions): RbacObject[] {
  const sa = { kind: 'ServiceAccount', name: o.name, namespace: o.namespace };
  const roleRef = (kind: 'ClusterRole' | 'Role', name: string): V1ClusterRoleBinding['roleRef'] => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const out: RbacObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: o.name, namespace: o.namespace } },
    { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: `${o.name}-operator` }, rules: rules(OPERATOR_RULES) },
    { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: `${o.name}-crd-probe` }, rules: rules(CRD_PROBE_RULES) },
    { apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: { name: `${o.name}-crd-probe` }, roleRef: roleRef('ClusterRole', `${o.name}-crd-probe`), subjects: [sa] },
    { apiVersion: RBAC_API, kind: 'Role', metadata: { name: `${o.name}-leader-election`, namespace: o.namespace }, rules: rules(LEADER_ELECTION_RULES) },
    {
      apiVersion: RBAC_API,
      kind: 'RoleBinding',
      metadata: { name: `${o.name}-leader-election`, namespace: o.namespace },
      roleRef: roleRef('Role', `${o.name}-leader-election`),
      subjects: [sa],
    },
  ];
  if (o.watchNamespaces.length === 0) {
    out.push({ apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: { name: `${o.name}-operator` }, roleRef: roleRef('ClusterRole', `${o.name}-operator`), subjects: [sa] });
  } else {
    // A ClusterRole bound per namespace: the rules are written once, the grant stays namespaced.
    for (const ns of o.watchNamespaces) {
      out.push({ apiVersion: RBAC_API, kind: 'RoleBinding', metadata: { name: `${o.name}-operator`, namespace: ns }, roleRef: roleRef('ClusterRole', `${o.name}-operator`), subjects: [sa] });
    }
  }
  const brokerNs = o.brokerNamespaces ?? (o.watchNamespaces.length > 0 ? o.watchNamespaces : [o.namespace]);
  out.push({ apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: `${o.name}-broker-node-reader` }, rules: rules(NODE_READER_RULES) });
  for (const ns of brokerNs) {
    out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BROKER_SERVICE_ACCOUNT, namespace: ns }, automountServiceAccountToken: false });
  }
  out.push({
    apiVersion: RBAC_API,
    kind: 'ClusterRoleBinding',
    metadata: { name: `${o.name}-broker-node-reader` },
    roleRef: roleRef('ClusterRole', `${o.name}-broker-node-reader`),
    subjects: brokerNs.map((ns) => ({ kind: 'ServiceAccount', name: BROKER_SERVICE_ACCOUNT, namespace: ns })),
  });
  return out;
}
