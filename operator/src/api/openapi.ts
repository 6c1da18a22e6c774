/**
 * zod -> OpenAPI v3 structural schema (the dialect of CRD `openAPIV3Schema`), for exactly the
 * zod features the strand.dev schemas use. Anything else throws, so a new zod feature in the
 * API cannot silently produce a wrong or non-structural CRD.
 *
 * Structural means: every node has a `type` (except int-or-string and the root metadata), no
 * `properties` together with `additionalProperties`, and unknown fields are pruned (we never
 * emit preserve-unknown-fields except where the registry asks for it).
 */
import type { z } from 'zod';
import { k8sRegistry, type K8sSchemaMeta } from './meta.js';

/** A JSON value (defaults, enum members). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  additionalProperties?: OpenApiSchema;
  items?: OpenApiSchema;
  enum?: Json[];
  default?: Json;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-embedded-resource'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string; message: string; reason?: string; fieldPath?: string }[];
}

/** The slice of zod 4's internal definition the converter reads (`schema._zod.def`). */
interface ZodDefView {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly format?: string;
  readonly innerType?: z.ZodType;
  readonly defaultValue?: unknown;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly values?: readonly unknown[];
}

interface CheckDef {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly pattern?: RegExp;
}

function defOf(schema: z.ZodType): ZodDefView {
  return (schema as unknown as { _zod: { def: ZodDefView } })._zod.def;
}

function isInt(def: ZodDefView): boolean {
  return def.format === 'safeint' || def.format === 'int32' || (def.checks ?? []).some((c) => c._zod.def.check === 'number_format' && c._zod.def.format === 'safeint');
}

function applyChecks(out: OpenApiSchema, def: ZodDefView, path: string): void {
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    switch (d.check) {
      case 'min_length':
        if (out.type === 'array') out.minItems = d.minimum;
        else out.minLength = d.minimum;
        break;
      case 'max_length':
        if (out.type === 'array') out.maxItems = d.maximum;
        else out.maxLength = d.maximum;
        break;
      case 'string_format':
        if (d.format !== 'regex' || d.pattern === undefined) throw new Error(`${path}: unsupported string format ${d.format ?? '?'}`);
        // CRD patterns are RE2 (Go) and ajv's are ECMAScript: keep to their common subset.
        out.pattern = d.pattern.source;
        break;
      case 'greater_than':
        if (d.inclusive !== true) throw new Error(`${path}: exclusive minimum is not supported`);
        out.minimum = d.value;
        break;
      case 'less_than':
        if (d.inclusive !== true) throw new Error(`${path}: exclusive maximum is not supported`);
        out.maximum = d.value;
        break;
      case 'number_format':
        break; // int-ness is read by isInt
      case 'custom':
        break; // a refinement: its CEL twin is in the registry (celChecked)
      default:
        throw new Error(`${path}: unsupported zod check ${d.check}`);
    }
  }
}

/** Registry facts of a schema and of the wrappers around it, outermost last. */
function applyMeta(out: OpenApiSchema, meta: K8sSchemaMeta | undefined): void {
  if (meta === undefined) return;
  if (meta.description !== undefined) out.description = meta.description;
  if (meta.format !== undefined) out.format = meta.format;
  if (meta.listType !== undefined) out['x-kubernetes-list-type'] = meta.listType;
  if (meta.listMapKeys !== undefined) out['x-kubernetes-list-map-keys'] = [...meta.listMapKeys];
  if (meta.preserveUnknownFields === true) out['x-kubernetes-preserve-unknown-fields'] = true;
  if (meta.validations !== undefined && meta.validations.length > 0) {
    out['x-kubernetes-validations'] = [...(out['x-kubernetes-validations'] ?? []), ...meta.validations.map((v) => ({ ...v }))];
  }
}

interface Converted {
  readonly schema: OpenApiSchema;
  readonly optional: boolean;
}

function convert(schema: z.ZodType, path: string): Converted {
  const def = defOf(schema);
  const meta = k8sRegistry.get(schema);
  if (meta?.embeddedMetadata === true) {
    // ObjectMeta is validated by the API server itself; a CRD may only say `type: object`.
    return { schema: { type: 'object' }, optional: false };
  }
  let out: OpenApiSchema;
  let optional = false;
  switch (def.type) {
    case 'optional': {
      const inner = convert(def.innerType as z.ZodType, path);
      out = inner.schema;
      optional = true;
      break;
    }
    case 'default':
    case 'prefault': {
      const inner = convert(def.innerType as z.ZodType, path);
      out = { ...inner.schema, default: def.defaultValue as Json };
      optional = true;
      break;
    }
    case 'nullable':
      out = { ...convert(def.innerType as z.ZodType, path).schema, nullable: true };
      break;
    case 'string':
      out = { type: 'string' };
      break;
    case 'number':
      out = { type: isInt(def) ? 'integer' : 'number' };
      if (out.type === 'integer') out.format = 'int64';
      break;
    case 'boolean':
      out = { type: 'boolean' };
      break;
    case 'enum':
      out = { type: 'string', enum: Object.values(def.entries ?? {}).map(String) };
      break;
    case 'literal': {
      const values = def.values ?? [];
      if (!values.every((v) => typeof v === 'string')) throw new Error(`${path}: only string literals are supported`);
      out = { type: 'string', enum: values as string[] };
      break;
    }
    case 'object': {
      const properties: Record<string, OpenApiSchema> = {};
      const required: string[] = [];
      for (const [key, child] of Object.entries(def.shape ?? {})) {
        const c = convert(child, `${path}.${key}`);
        properties[key] = c.schema;
        if (!c.optional) required.push(key);
      }
      out = { type: 'object', properties };
      if (required.length > 0) out.required = required;
      break;
    }
    case 'record':
      out = { type: 'object', additionalProperties: convert(def.valueType as z.ZodType, `${path}[*]`).schema };
      break;
    case 'array':
      out = { type: 'array', items: convert(def.element as z.ZodType, `${path}[]`).schema };
      break;
    case 'union':
      if (meta?.intOrString !== true) throw new Error(`${path}: unions other than int-or-string are not structural`);
      out = { 'x-kubernetes-int-or-string': true };
      break;
    default:
      throw new Error(`${path}: unsupported zod type ${def.type}`);
  }
  applyChecks(out, def, path);
  applyMeta(out, meta);
  return { schema: out, optional };
}

/** The OpenAPI v3 (structural) schema of a zod schema. Throws on unsupported features. */
export function toOpenApi(schema: z.ZodType): OpenApiSchema {
  return convert(schema, '$').schema;
}
