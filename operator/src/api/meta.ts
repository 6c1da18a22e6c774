/**
 * Shared pieces of the strand.dev API: group/version constants, the registry that attaches
 * Kubernetes-only schema facts (CEL rules, int-or-string, list types) to zod schemas, and the
 * small schemas both kinds use (object metadata, conditions, quantities, Kafka config maps).
 *
 * Why a registry: the zod schemas are the one source of truth, but some OpenAPI facts have no
 * zod twin (CEL rules for the API server, list-map keys). They ride along on the schema objects
 * so `openapi.ts` can emit them without a second hand-written schema.
 */
import { z } from 'zod';

export const GROUP = 'strand.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** One x-kubernetes-validations entry. `transition` rules use oldSelf (update-only). */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
  readonly reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  readonly fieldPath?: string;
}

export interface K8sSchemaMeta {
  readonly description?: string;
  readonly validations?: readonly CelRule[];
  /** Emit x-kubernetes-int-or-string instead of a type (only for string|int unions). */
  readonly intOrString?: boolean;
  readonly format?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  /** The only place unknown fields are kept (status of foreign objects, never in our specs). */
  readonly preserveUnknownFields?: boolean;
  /** Emit `type: object` + preserve-unknown-fields + embedded-resource (metadata of the CR root). */
  readonly embeddedMetadata?: boolean;
}

export const k8sRegistry = z.registry<K8sSchemaMeta>();

/** Attach Kubernetes schema facts to a zod schema; returns the same instance. */
export function k8s<T extends z.ZodType>(schema: T, meta: K8sSchemaMeta): T {
  const prev = k8sRegistry.get(schema);
  k8sRegistry.add(schema, { ...prev, ...meta, validations: [...(prev?.validations ?? []), ...(meta.validations ?? [])] });
  return schema;
}

/**
 * A zod refinement with its CEL twin: zod checks it in the operator (and in tests), the API
 * server checks the same thing on admission. Both are written here, next to each other.
 */
export function celChecked<T extends z.ZodType>(schema: T, cel: CelRule, check: (v: z.output<T>) => boolean): T {
  const refined = schema.refine(check, { message: cel.message }) as unknown as T;
  return k8s(refined, { validations: [cel] });
}

/** Kubernetes resource.Quantity (e.g. "10Gi", "500m", 2). The API server re-validates. */
export const QUANTITY_PATTERN = '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
export const Quantity = k8s(z.union([z.string().regex(new RegExp(QUANTITY_PATTERN)), z.int().min(0)]), {
  intOrString: true,
  description: 'A Kubernetes quantity, e.g. 10Gi or 500m.',
});
export type Quantity = z.infer<typeof Quantity>;

/** Kafka-named settings as `name: value`; values may be written as YAML ints or strings. */
export const KafkaConfigValue = k8s(z.union([z.string().max(4096), z.int()]), { intOrString: true });
export const KAFKA_CONFIG_KEY = /^[a-z0-9]+(\.[a-z0-9]+)*$/;
export const KafkaConfigMap = k8s(z.record(z.string().regex(KAFKA_CONFIG_KEY), KafkaConfigValue), {
  description: 'Kafka-named settings, e.g. min.insync.replicas: 2. Booleans are written as strings ("true").',
});
export type KafkaConfigMap = z.infer<typeof KafkaConfigMap>;

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);

/** metav1.Condition, as every modern controller writes them. */
export const Condition = z.object({
  type: z.string().min(1).max(316),
  status: ConditionStatus,
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: k8s(z.string(), { format: 'date-time' }),
  reason: z.string().max(1024),
  message: z.string().max(32768),
});
export type Condition = z.infer<typeof Condition>;

export const Conditions = k8s(z.array(Condition), { listType: 'map', listMapKeys: ['type'] });

/** The parts of ObjectMeta the operator reads; the rest passes through untouched. */
export const ObjectMeta = k8s(
  z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    generation: z.int().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string()).optional(),
    deletionTimestamp: z.string().optional(),
    creationTimestamp: z.string().optional(),
  }),
  { embeddedMetadata: true },
);
export type ObjectMeta = z.infer<typeof ObjectMeta>;

/** Kubernetes names that end up as DNS labels of derived objects (Services, pods). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
