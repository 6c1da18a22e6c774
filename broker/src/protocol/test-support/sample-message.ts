/**
 * Test support: builds a representative value of any schema at any version, so that one
 * generic test can round-trip every API at every version without hand-written fixtures.
 * Values are non-default wherever the version carries the field (so a field the encoder
 * dropped or misplaced shows up as a mismatch), and the default where it does not (which
 * is what the decoder fills in).
 */
import type { ApiDefinition, Field, FieldType, MessageSchema } from '../schema-types.js';
import { defaultFactory, isArrayType, isStructType } from '../codec-defaults.js';
import { inVersionRange, parseVersionRange } from '../versions.js';

/** Mutable counter threaded through generation so that every leaf gets a different value. */
export interface SampleSeed {
  n: number;
}

export type SampleValue = Record<string, unknown>;

/**
 * A value for `fields` at `version`. Nullable fields are null when the counter is a multiple
 * of 3, so running seeds s, s+1, s+2 exercises each nullable field both null and not.
 */
export function sampleStruct(fields: readonly Field[], version: number, flexible: boolean, seed: SampleSeed): SampleValue {
  const o: SampleValue = {};
  for (const f of fields) {
    const tagged = flexible && f.taggedVersions !== undefined && inVersionRange(f.taggedVersions, version);
    const present = tagged || (f.taggedVersions === undefined && inVersionRange(f.versions, version));
    if (!present) {
      o[f.name] = defaultFactory(f)();
      continue;
    }
    seed.n++;
    if (inVersionRange(f.nullableVersions, version) && seed.n % 3 === 0) o[f.name] = null;
    else o[f.name] = sampleType(f.type, version, flexible, seed);
  }
  return o;
}

function sampleType(t: FieldType, version: number, flexible: boolean, seed: SampleSeed): unknown {
  seed.n++;
  if (isArrayType(t)) return [sampleType(t.array, version, flexible, seed), sampleType(t.array, version, flexible, seed)];
  if (isStructType(t)) return sampleStruct(t.struct, version, flexible, seed);
  const n = seed.n;
  switch (t) {
    case 'bool':
      return n % 2 === 0;
    case 'int8':
      return (n % 200) - 100;
    case 'int16':
      return n * 7;
    case 'uint16':
      return 60000 + n;
    case 'int32':
      return n * 1000 + 17;
    case 'uint32':
      return 4000000000 + n;
    case 'int64':
      return 1700000000000 + n;
    case 'float64':
      return n + 0.5;
    case 'string':
      return `s${n}-ü`;
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2]);
    case 'records':
      return Buffer.alloc(300 + n, n & 0xff);
    case 'uuid':
      return n.toString(16).padStart(32, 'a');
  }
  throw new Error(`unknown field type ${String(t)}`);
}

/** A sample of a whole message at `version`. */
export function sampleMessage(schema: MessageSchema, version: number, seed: number): SampleValue {
  const flexible = inVersionRange(schema.flexibleVersions, version);
  return sampleStruct(schema.fields, version, flexible, { n: seed });
}

/** Every concrete version of a schema's validVersions. */
export function versionsOf(schema: MessageSchema): number[] {
  const r = parseVersionRange(schema.validVersions);
  if (!Number.isFinite(r.max)) throw new Error(`${schema.name}: validVersions must be bounded`);
  const out: number[] = [];
  for (let v = r.min; v <= r.max; v++) out.push(v);
  return out;
}

/** [label, schema, version] for every version of every schema, as `it.each` rows. */
export function everyVersionCases(schemas: readonly MessageSchema[]): [string, MessageSchema, number][] {
  const cases: [string, MessageSchema, number][] = [];
  for (const schema of schemas) for (const v of versionsOf(schema)) cases.push([`${schema.name} v${v}`, schema, v]);
  return cases;
}

/** Request and response schemas of each API. */
export function schemasOf(apis: readonly ApiDefinition[]): MessageSchema[] {
  return apis.flatMap((api) => [api.request, api.response]);
}
