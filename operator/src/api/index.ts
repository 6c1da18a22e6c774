/**
 * The strand.dev/v1alpha1 API: zod schemas (the single source of the CRDs), their inferred
 * types, and parse helpers the reconcilers use on objects read from the API server.
 */
import type { z } from 'zod';
import { KafkaClusterSchema, type KafkaCluster } from './kafkacluster.js';
import { TopicSchema, type Topic } from './topic.js';

export * from './meta.js';
export * from './kafkacluster.js';
export * from './topic.js';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

function parseWith<S extends z.ZodType>(schema: S, obj: unknown): ParseResult<z.output<S>> {
  const r = schema.safeParse(obj);
  if (r.success) return { ok: true, value: r.data };
  // One line, naming the field: this text becomes a condition message on the resource.
  const error = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
  return { ok: false, error };
}

/** Validate and default a KafkaCluster as read from the API server. */
export function parseKafkaCluster(obj: unknown): ParseResult<KafkaCluster> {
  return parseWith(KafkaClusterSchema, obj);
}

/** Validate and default a Topic as read from the API server. */
export function parseTopic(obj: unknown): ParseResult<Topic> {
  return parseWith(TopicSchema, obj);
}
