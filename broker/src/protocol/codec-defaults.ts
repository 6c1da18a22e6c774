/**
 * Default values of schema fields: what a decoder fills in for a field absent at a version,
 * and what an encoder compares against to omit tagged fields or accept absent fields.
 */
import type { Field, FieldType } from './schema-types.js';

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
export const ZERO_UUID = '00000000000000000000000000000000';

export type Struct = Record<string, unknown>;

function isStructType(t: FieldType): t is { readonly struct: readonly Field[] } {
  return typeof t === 'object' && 'struct' in t;
}

function isArrayType(t: FieldType): t is { readonly array: FieldType } {
  return typeof t === 'object' && 'array' in t;
}

export { isArrayType, isStructType };

/** True if the field is nullable in any version (then its implicit default is null). */
function nullableSomewhere(f: Field): boolean {
  return f.nullableVersions !== undefined && f.nullableVersions !== 'none';
}

/** A factory, since arrays and structs must not be shared between decoded messages. */
export function defaultFactory(f: Field): () => unknown {
  if (f.default !== undefined) {
    const d = f.default;
    if (Array.isArray(d)) return () => d.slice();
    return () => d;
  }
  if (nullableSomewhere(f)) return () => null;
  return typeDefaultFactory(f.type);
}

function typeDefaultFactory(t: FieldType): () => unknown {
  if (isArrayType(t)) return () => [];
  if (isStructType(t)) {
    const subs = t.struct.map((sf) => [sf.name, defaultFactory(sf)] as const);
    return () => {
      const o: Struct = {};
      for (const [name, make] of subs) o[name] = make();
      return o;
    };
  }
  switch (t) {
    case 'bool':
      return () => false;
    case 'string':
      return () => '';
    case 'bytes':
      return () => EMPTY_BUFFER;
    case 'records':
      return () => null;
    case 'uuid':
      return () => ZERO_UUID;
    default:
      return () => 0;
  }
}

/** Whether `v` equals the field's default (undefined counts as default). */
export function isDefaultValue(f: Field, v: unknown): boolean {
  if (v === undefined) return true;
  if (f.default !== undefined && !Array.isArray(f.default)) return v === f.default;
  if (v === null) return nullableSomewhere(f) || f.default === null;
  if (nullableSomewhere(f) && f.default === undefined) return false;
  return isTypeDefault(f.type, v);
}

function isTypeDefault(t: FieldType, v: unknown): boolean {
  if (isArrayType(t)) return Array.isArray(v) && v.length === 0;
  if (isStructType(t)) {
    if (typeof v !== 'object' || v === null) return false;
    const o = v as Struct;
    return t.struct.every((sf) => isDefaultValue(sf, o[sf.name]));
  }
  switch (t) {
    case 'bool':
      return v === false;
    case 'string':
      return v === '';
    case 'bytes':
      return Buffer.isBuffer(v) && v.length === 0;
    case 'records':
      return v === null;
    case 'uuid':
      return v === ZERO_UUID;
    default:
      return v === 0;
  }
}
