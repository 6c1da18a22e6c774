/**
 * Test support: validate objects against the Kubernetes OpenAPI schemas.
 *
 * Two sources, because each misses something:
 * - `kubernetes-models` (generated from the Kubernetes OpenAPI spec): types, enums, required
 *   fields, formats. It allows unknown fields, so a misspelt field would pass;
 * - `@kubernetes/client-node`'s model attribute maps (generated from the same spec): every
 *   field name of every type, which `unknownFields` walks to reject misspellings.
 */
import * as k8s from '@kubernetes/client-node';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';

interface Validatable {
  validate(): void;
}
type ModelCtor = new (data: never) => Validatable;

const MODELS: Record<string, { model: ModelCtor; clientType: string }> = {
  'v1/ConfigMap': { model: ConfigMap as unknown as ModelCtor, clientType: 'V1ConfigMap' },
  'v1/Service': { model: Service as unknown as ModelCtor, clientType: 'V1Service' },
  'v1/ServiceAccount': { model: ServiceAccount as unknown as ModelCtor, clientType: 'V1ServiceAccount' },
  'apps/v1/StatefulSet': { model: StatefulSet as unknown as ModelCtor, clientType: 'V1StatefulSet' },
  'apps/v1/Deployment': { model: Deployment as unknown as ModelCtor, clientType: 'V1Deployment' },
  'policy/v1/PodDisruptionBudget': { model: PodDisruptionBudget as unknown as ModelCtor, clientType: 'V1PodDisruptionBudget' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: ClusterRole as unknown as ModelCtor, clientType: 'V1ClusterRole' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: ClusterRoleBinding as unknown as ModelCtor, clientType: 'V1ClusterRoleBinding' },
  'rbac.authorization.k8s.io/v1/Role': { model: Role as unknown as ModelCtor, clientType: 'V1Role' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: RoleBinding as unknown as ModelCtor, clientType: 'V1RoleBinding' },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': {
    model: CustomResourceDefinition as unknown as ModelCtor,
    clientType: 'V1CustomResourceDefinition',
  },
};

interface AttributeInfo {
  readonly baseName: string;
  readonly type: string;
}
interface ModelClass {
  getAttributeTypeMap(): readonly AttributeInfo[];
}

function modelClass(name: string): ModelClass | undefined {
  const c = (k8s as unknown as Record<string, unknown>)[name];
  return typeof c === 'function' && 'getAttributeTypeMap' in c ? (c as unknown as ModelClass) : undefined;
}

/** Paths of fields the Kubernetes schema does not know (client-node's attribute maps). */
export function unknownFields(value: unknown, type: string, path = ''): string[] {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr?.[1] !== undefined) {
    return Array.isArray(value) ? value.flatMap((v, i) => unknownFields(v, arr[1] as string, `${path}[${i}]`)) : [];
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map?.[1] !== undefined) {
    if (value === null || typeof value !== 'object') return [];
    return Object.entries(value).flatMap(([k, v]) => unknownFields(v, map[1] as string, `${path}.${k}`));
  }
  // JSONSchemaProps (CRD schemas) are open-ended by design; validated separately.
  if (type === 'V1JSONSchemaProps') return [];
  const cls = modelClass(type);
  if (cls === undefined || value === null || typeof value !== 'object') return [];
  const attrs = new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const t = attrs.get(k);
    if (t === undefined) out.push(`${path}.${k}`);
    else out.push(...unknownFields(v, t, `${path}.${k}`));
  }
  return out;
}

/** Throws with every problem found; returns the kind/name on success. */
export function validateK8sObject(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): string {
  const key = `${obj.apiVersion ?? ''}/${obj.kind ?? ''}`;
  const entry = MODELS[key];
  if (entry === undefined) throw new Error(`no schema for ${key}`);
  new entry.model(obj as never).validate();
  const unknown = unknownFields(obj, entry.clientType);
  if (unknown.length > 0) throw new Error(`${key} ${obj.metadata?.name ?? ''}: unknown fields ${unknown.join(', ')}`);
  return `${key} ${obj.metadata?.name ?? ''}`;
}

export function hasSchemaFor(obj: { apiVersion?: string; kind?: string }): boolean {
  return MODELS[`${obj.apiVersion ?? ''}/${obj.kind ?? ''}`] !== undefined;
}
