import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { validateK8sObject } from '../builders/validate-k8s.test-support.js';
import { crdFor, CRD_DIRS, CRD_SOURCES, renderCrds, repoRoot } from './crd-gen.js';
import { parseKafkaCluster, parseTopic, topicUpdateProblem, type KafkaClusterInput, type TopicInput } from './index.js';
import type { OpenApiSchema } from './openapi.js';

const root = repoRoot();

function openApiOf(crd: unknown): OpenApiSchema {
  const c = crd as { spec: { versions: { schema: { openAPIV3Schema: OpenApiSchema } }[] } };
  const v = c.spec.versions[0];
  if (v === undefined) throw new Error('no version');
  return v.schema.openAPIV3Schema;
}

/** Structural-schema rules of apiextensions.k8s.io/v1, checked node by node. */
function structuralProblems(s: OpenApiSchema, path: string, allowedPreserve: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === undefined && !intOrString && !preserve) out.push(`${path}: no type`);
  if (intOrString && s.type !== undefined) out.push(`${path}: int-or-string with a type`);
  if (preserve && !allowedPreserve.has(path)) out.push(`${path}: unexpected x-kubernetes-preserve-unknown-fields`);
  if (s.properties !== undefined && s.additionalProperties !== undefined) out.push(`${path}: properties and additionalProperties`);
  if (s.type === 'object' && s.properties === undefined && s.additionalProperties === undefined && !preserve && path !== '$.metadata') {
    out.push(`${path}: object without properties (would prune everything)`);
  }
  if (s.type === 'array' && s.items === undefined) out.push(`${path}: array without items`);
  for (const k of s['x-kubernetes-list-map-keys'] ?? []) {
    const item = s.items;
    if (item?.required?.includes(k) !== true && item?.properties?.[k]?.default === undefined) out.push(`${path}: list-map key ${k} not required`);
  }
  const bad = ['anyOf', 'oneOf', 'allOf', 'not'].filter((k) => k in s);
  if (bad.length > 0) out.push(`${path}: ${bad.join(',')} not used by our schemas`);
  for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(v, `${path}.${k}`, allowedPreserve));
  if (s.additionalProperties !== undefined) out.push(...structuralProblems(s.additionalProperties, `${path}[*]`, allowedPreserve));
  if (s.items !== undefined) out.push(...structuralProblems(s.items, `${path}[]`, allowedPreserve));
  return out;
}

/** The CRD schema as plain JSON Schema for ajv: int-or-string spelt out, unknown fields rejected. */
function forAjv(s: OpenApiSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'properties' || k === 'additionalProperties' || k === 'items') continue;
    out[k] = v;
  }
  if (s['x-kubernetes-int-or-string'] === true) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, forAjv(v)]));
    // The API server would silently prune an unknown field; in an example it is a typo.
    out.additionalProperties = false;
  }
  if (s.additionalProperties !== undefined) out.additionalProperties = forAjv(s.additionalProperties);
  if (s.items !== undefined) out.items = forAjv(s.items);
  return out;
}

function ajvFor(plural: string): ReturnType<Ajv['compile']> {
  const src = CRD_SOURCES.find((s) => s.plural === plural);
  if (src === undefined) throw new Error(plural);
  const ajv = new Ajv({ allErrors: true, strict: true, formats: { int64: true, 'date-time': true } });
  const schema = forAjv(openApiOf(crdFor(src)));
  // metadata is the API server's; accept any object.
  (schema.properties as Record<string, unknown>).metadata = { type: 'object' };
  return ajv.compile(schema);
}

const readYaml = (rel: string): unknown => parse(readFileSync(join(root, rel), 'utf8'));

describe('CRDs', () => {
  test('crds/ and helm/strand/crds/ are what the generator writes (run `npm run gen:crds`)', () => {
    for (const dir of CRD_DIRS) {
      for (const [name, text] of renderCrds()) {
        expect(readFileSync(join(root, dir, name), 'utf8')).toBe(text);
      }
    }
  });

  test.each(CRD_SOURCES.map((s) => [s.plural]))('%s: structural schema, status subresource, valid CRD object', (plural) => {
    const src = CRD_SOURCES.find((s) => s.plural === plural);
    if (src === undefined) throw new Error(plural);
    const crd = crdFor(src);
    expect(structuralProblems(openApiOf(crd), '$', new Set())).toEqual([]);
    expect(validateK8sObject(crd as { apiVersion: string; kind: string })).toContain('CustomResourceDefinition');
    const v = (crd.spec as { versions: { subresources: unknown; additionalPrinterColumns: { jsonPath: string }[] }[] }).versions[0];
    expect(v?.subresources).toEqual({ status: {} });
    expect(v?.additionalPrinterColumns.map((c) => c.jsonPath)).toContain('.metadata.creationTimestamp');
  });

  test('the API-server rules the issue asks for are in the CRDs', () => {
    const topic = readFileSync(join(root, 'crds/topics.strand.dev.yaml'), 'utf8');
    expect(topic).toContain('rule: self >= oldSelf');
    expect(topic).toContain('maxLength: 249');
    expect(topic).toContain('pattern: ^[a-zA-Z0-9._-]+$');
    const t = openApiOf(parse(topic)).properties?.spec?.properties;
    expect(t?.replicationFactor?.minimum).toBe(1);
    expect(t?.partitions?.minimum).toBe(1);
  });

  test('a converter failure names the path of an unsupported zod feature', async () => {
    const { z } = await import('zod');
    const { toOpenApi } = await import('./openapi.js');
    expect(() => toOpenApi(z.object({ a: z.union([z.string(), z.boolean()]) }))).toThrow('$.a: unions');
    expect(() => toOpenApi(z.object({ a: z.number().gt(1) }))).toThrow('$.a: exclusive');
  });
});

describe('examples', () => {
  test('examples/kafkacluster.yaml is valid for the CRD schema and the zod schema', () => {
    const obj = readYaml('examples/kafkacluster.yaml');
    const validate = ajvFor('kafkaclusters');
    expect(validate(obj) ? [] : validate.errors).toEqual([]);
    const r = parseKafkaCluster({ ...(obj as object), metadata: { name: 'demo', namespace: 'default', uid: 'u' } });
    expect(r.ok ? null : r.error).toBeNull();
  });

  test('examples/topic.yaml is valid for the CRD schema and the zod schema', () => {
    const obj = readYaml('examples/topic.yaml');
    const validate = ajvFor('topics');
    expect(validate(obj) ? [] : validate.errors).toEqual([]);
    expect(parseTopic(obj).ok).toBe(true);
  });

  test('the ajv check catches a typo and a wrong type', () => {
    const validate = ajvFor('topics');
    expect(validate({ apiVersion: 'strand.dev/v1alpha1', kind: 'Topic', metadata: {}, spec: { clusterRef: 'a', partitions: 1, replicationFactor: 1, partitons: 2 } })).toBe(false);
    expect(validate({ apiVersion: 'strand.dev/v1alpha1', kind: 'Topic', metadata: {}, spec: { clusterRef: 'a', partitions: '1', replicationFactor: 1 } })).toBe(false);
  });
});

const cluster = (spec: Partial<KafkaClusterInput['spec']>, name = 'demo'): KafkaClusterInput => ({
  apiVersion: 'strand.dev/v1alpha1',
  kind: 'KafkaCluster',
  metadata: { name, namespace: 'ns', uid: 'uid-1' },
  spec: { metadata: { nats: { url: 'nats://nats:4222' } }, ...spec },
});
const topic = (spec: Partial<TopicInput['spec']>, name = 'orders'): TopicInput => ({
  apiVersion: 'strand.dev/v1alpha1',
  kind: 'Topic',
  metadata: { name },
  spec: { clusterRef: 'demo', partitions: 3, replicationFactor: 3, ...spec },
});

describe('zod schemas', () => {
  test('defaults are applied', () => {
    const r = parseKafkaCluster(cluster({}));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.spec).toEqual({
      replicas: 3,
      storage: { size: '10Gi', deleteClaim: false },
      config: {},
      listeners: {},
      metadata: { nats: { url: 'nats://nats:4222' } },
      metrics: { serviceMonitor: false },
    });
    const m = parseKafkaCluster(cluster({ metadata: { nats: { managed: {} } } }));
    expect(m.ok && m.value.spec.metadata.nats.managed).toEqual({ replicas: 3, storage: { size: '1Gi' }, image: 'nats:2.10-alpine' });
    const t = parseTopic(topic({}));
    expect(t.ok && t.value.spec).toMatchObject({ config: {}, deletionPolicy: 'Delete' });
  });

  test.each([
    ['replicas 0', cluster({ replicas: 0 }), 'spec.replicas'],
    ['both url and managed', cluster({ metadata: { nats: { url: 'nats://a:1', managed: {} } } }), 'exactly one'],
    ['neither url nor managed', cluster({ metadata: { nats: {} } }), 'exactly one'],
    ['unknown broker setting', cluster({ config: { 'no.such.setting': 1 } }), 'unknown broker setting'],
    ['bad broker setting value', cluster({ config: { 'min.insync.replicas': 0 } }), 'min.insync.replicas'],
    ['NATS replicas 2', cluster({ metadata: { nats: { managed: { replicas: 2 } } } }), '1, 3 or 5'],
    ['long name', cluster({}, 'a'.repeat(41)), 'at most 40'],
    ['nodePortBase on LoadBalancer', cluster({ listeners: { external: { type: 'LoadBalancer', nodePortBase: 30000 } } }), 'nodePortBase'],
  ])('KafkaCluster rejects %s', (_what, obj, message) => {
    const r = parseKafkaCluster(obj);
    expect(r.ok ? 'accepted' : r.error).toContain(message);
  });

  test.each([
    ['partitions 0', topic({ partitions: 0 }), 'spec.partitions'],
    ['replicationFactor 0', topic({ replicationFactor: 0 }), 'spec.replicationFactor'],
    ['a bad topic name', topic({ topicName: 'a/b' }), 'spec.topicName'],
    ['topic name ".."', topic({ topicName: '..' }), '"." or ".."'],
    ['a 250-character topic name', topic({ topicName: 'a'.repeat(250) }), 'spec.topicName'],
    ['a 250-character metadata.name without topicName', topic({}, 'a'.repeat(250)), 'at most 249'],
    ['a bad deletionPolicy', topic({ deletionPolicy: 'Keep' as 'Retain' }), 'deletionPolicy'],
  ])('Topic rejects %s', (_what, obj, message) => {
    const r = parseTopic(obj);
    expect(r.ok ? 'accepted' : r.error).toContain(message);
  });

  test('Topic accepts every Kafka-legal name character and 249 characters', () => {
    expect(parseTopic(topic({ topicName: 'A-z_0.9' })).ok).toBe(true);
    expect(parseTopic(topic({ topicName: 'x'.repeat(249) })).ok).toBe(true);
  });

  test('topicUpdateProblem mirrors the CEL transition rules', () => {
    const base = { clusterRef: 'demo', partitions: 3, replicationFactor: 3, config: {}, deletionPolicy: 'Delete' as const };
    expect(topicUpdateProblem(base, { ...base, partitions: 4 })).toBeNull();
    expect(topicUpdateProblem(base, { ...base, replicationFactor: 1 })).toBeNull();
    expect(topicUpdateProblem(base, { ...base, partitions: 2 })).toBe('partitions may not decrease');
    expect(topicUpdateProblem(base, { ...base, clusterRef: 'other' })).toContain('immutable');
    expect(topicUpdateProblem(base, { ...base, topicName: 'x' })).toContain('immutable');
  });
});
