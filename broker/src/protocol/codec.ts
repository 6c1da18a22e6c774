/**
 * Generic schema-driven codec. Each (schema, version) pair is compiled once into a plan of
 * closures (no per-request interpretation of the schema), cached on the schema object.
 *
 * Flexible versions use compact strings/bytes/arrays (unsigned varint length + 1, 0 = null)
 * and end every struct, the top level included, with a tagged-fields section.
 */
import type { Field, FieldType, MessageSchema } from './schema-types.js';
import { ProtocolError, Reader, Writer } from './primitives.js';
import { inVersionRange } from './versions.js';
import { defaultFactory, isArrayType, isDefaultValue, isStructType, type Struct } from './codec-defaults.js';

type Decode = (r: Reader) => unknown;
type Encode = (w: Writer, v: unknown) => void;

interface Plan {
  readonly decode: Decode;
  readonly encode: Encode;
}

const planCache = new WeakMap<MessageSchema, Map<number, Plan>>();

function planFor(schema: MessageSchema, version: number): Plan {
  let byVersion = planCache.get(schema);
  if (byVersion === undefined) {
    byVersion = new Map();
    planCache.set(schema, byVersion);
  }
  let plan = byVersion.get(version);
  if (plan === undefined) {
    if (!inVersionRange(schema.validVersions, version)) {
      throw new ProtocolError(`${schema.name} has no version ${version}`);
    }
    const flexible = inVersionRange(schema.flexibleVersions, version);
    plan = compileStruct(schema.name, schema.fields, version, flexible);
    byVersion.set(version, plan);
  }
  return plan;
}

export function decodeMessage<T>(schema: MessageSchema, version: number, reader: Reader): T {
  return planFor(schema, version).decode(reader) as T;
}

export function encodeMessage(schema: MessageSchema, version: number, value: unknown, writer: Writer): void {
  planFor(schema, version).encode(writer, value);
}

/** Convenience for tests and small messages. */
export function encodeToBuffer(schema: MessageSchema, version: number, value: unknown): Buffer {
  const w = new Writer();
  encodeMessage(schema, version, value, w);
  return w.toBuffer();
}

export function decodeFromBuffer<T>(schema: MessageSchema, version: number, buf: Buffer): T {
  const r = new Reader(buf);
  const v = decodeMessage<T>(schema, version, r);
  if (r.remaining !== 0) throw new ProtocolError(`${schema.name} v${version}: ${r.remaining} trailing bytes`);
  return v;
}

/** Precompiles every version of a schema (e.g. at startup, so the first request is not slower). */
export function precompile(schema: MessageSchema, fromVersion: number, toVersion: number): void {
  for (let v = fromVersion; v <= toVersion; v++) planFor(schema, v);
}

type Step =
  | { kind: 'field'; name: string; decode: Decode; encode: Encode; makeDefault: () => unknown }
  | { kind: 'absent'; field: Field; path: string; makeDefault: () => unknown }
  | { kind: 'tagged'; name: string; makeDefault: () => unknown };

interface TaggedStep {
  readonly tag: number;
  readonly field: Field;
  readonly decode: Decode;
  readonly encode: Encode;
}

function compileStruct(path: string, fields: readonly Field[], version: number, flexible: boolean): Plan {
  const steps: Step[] = [];
  const tagged: TaggedStep[] = [];
  for (const f of fields) {
    const fpath = `${path}.${f.name}`;
    const makeDefault = defaultFactory(f);
    if (flexible && f.taggedVersions !== undefined && inVersionRange(f.taggedVersions, version)) {
      if (f.tag === undefined) throw new Error(`${fpath}: tagged field without a tag`);
      const codec = compileType(fpath, f.type, version, true, inVersionRange(f.nullableVersions, version));
      tagged.push({ tag: f.tag, field: f, decode: codec.decode, encode: codec.encode });
      steps.push({ kind: 'tagged', name: f.name, makeDefault });
    } else if (inVersionRange(f.versions, version) && f.taggedVersions === undefined) {
      const codec = compileType(fpath, f.type, version, flexible, inVersionRange(f.nullableVersions, version));
      steps.push({ kind: 'field', name: f.name, decode: codec.decode, encode: codec.encode, makeDefault });
    } else {
      steps.push({ kind: 'absent', field: f, path: fpath, makeDefault });
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const byTag = new Map<number, TaggedStep>(tagged.map((t) => [t.tag, t]));
  const nSteps = steps.length;

  const decode: Decode = (r) => {
    const o: Struct = {};
    for (let i = 0; i < nSteps; i++) {
      const s = steps[i] as Step;
      if (s.kind === 'field') o[s.name] = s.decode(r);
      else o[s.kind === 'tagged' ? s.name : s.field.name] = s.makeDefault();
    }
    if (flexible) decodeTaggedSection(r, o, byTag);
    return o;
  };

  const encode: Encode = (w, v) => {
    if (typeof v !== 'object' || v === null) throw new ProtocolError(`${path}: expected an object`);
    const o = v as Struct;
    for (let i = 0; i < nSteps; i++) {
      const s = steps[i] as Step;
      if (s.kind === 'field') {
        const fv = o[s.name];
        s.encode(w, fv === undefined ? s.makeDefault() : fv);
      } else if (s.kind === 'absent') {
        if (!s.field.ignorable && !isDefaultValue(s.field, o[s.field.name])) {
          throw new ProtocolError(`${s.path} is not supported at version ${version} and has a non-default value`);
        }
      }
    }
    if (flexible) encodeTaggedSection(w, o, tagged);
  };

  return { decode, encode };
}

function decodeTaggedSection(r: Reader, o: Struct, byTag: ReadonlyMap<number, TaggedStep>): void {
  const n = r.readUnsignedVarInt();
  let prevTag = -1;
  for (let i = 0; i < n; i++) {
    const tag = r.readUnsignedVarInt();
    if (tag <= prevTag) throw new ProtocolError(`tagged fields out of order: ${tag} after ${prevTag}`);
    prevTag = tag;
    const size = r.readUnsignedVarInt();
    const known = byTag.get(tag);
    if (known === undefined) {
      r.skip(size); // unknown tags are for newer peers: skip
      continue;
    }
    const start = r.pos;
    r.skip(size); // bounds check before decoding
    const sub = new Reader(r.buf, start, start + size);
    o[known.field.name] = known.decode(sub);
    if (sub.remaining !== 0) throw new ProtocolError(`tagged field ${tag} has ${sub.remaining} trailing bytes`);
  }
}

function encodeTaggedSection(w: Writer, o: Struct, tagged: readonly TaggedStep[]): void {
  let count = 0;
  for (const t of tagged) if (!isDefaultValue(t.field, o[t.field.name])) count++;
  w.writeUnsignedVarInt(count);
  if (count === 0) return;
  for (const t of tagged) {
    const v = o[t.field.name];
    if (isDefaultValue(t.field, v)) continue;
    const sub = new Writer(64);
    t.encode(sub, v);
    w.writeUnsignedVarInt(t.tag);
    w.writeUnsignedVarInt(sub.size);
    w.writeWriter(sub);
  }
}

function nullErr(path: string): ProtocolError {
  return new ProtocolError(`${path} is not nullable`);
}

function compileType(path: string, t: FieldType, version: number, flexible: boolean, nullable: boolean): Plan {
  if (isArrayType(t)) {
    const elem = compileType(`${path}[]`, t.array, version, flexible, false);
    const decodeElem = elem.decode;
    const encodeElem = elem.encode;
    return {
      decode: flexible
        ? (r) => {
            const a = r.readCompactNullableArray(decodeElem);
            if (a === null && !nullable) throw nullErr(path);
            return a;
          }
        : (r) => {
            const a = r.readNullableArray(decodeElem);
            if (a === null && !nullable) throw nullErr(path);
            return a;
          },
      encode: (w, v) => {
        if (v === null && !nullable) throw nullErr(path);
        if (v !== null && !Array.isArray(v)) throw new ProtocolError(`${path}: expected an array`);
        const a = v as unknown[] | null;
        if (flexible) w.writeCompactArray(a, encodeElem);
        else w.writeArray(a, encodeElem);
      },
    };
  }
  if (isStructType(t)) {
    const plan = compileStruct(path, t.struct, version, flexible);
    if (!nullable) return plan;
    // Nullable structs carry an int8 presence marker (-1 = null, 1 = present).
    return {
      decode: (r) => (r.readInt8() < 0 ? null : plan.decode(r)),
      encode: (w, v) => {
        if (v === null) {
          w.writeInt8(-1);
        } else {
          w.writeInt8(1);
          plan.encode(w, v);
        }
      },
    };
  }
  return compilePrimitive(path, t, flexible, nullable);
}

function compilePrimitive(path: string, t: FieldType & string, flexible: boolean, nullable: boolean): Plan {
  switch (t) {
    case 'bool':
      return { decode: (r) => r.readBool(), encode: (w, v) => w.writeBool(v as boolean) };
    case 'int8':
      return { decode: (r) => r.readInt8(), encode: (w, v) => w.writeInt8(v as number) };
    case 'int16':
      return { decode: (r) => r.readInt16(), encode: (w, v) => w.writeInt16(v as number) };
    case 'uint16':
      return { decode: (r) => r.readUInt16(), encode: (w, v) => w.writeUInt16(v as number) };
    case 'int32':
      return { decode: (r) => r.readInt32(), encode: (w, v) => w.writeInt32(v as number) };
    case 'uint32':
      return { decode: (r) => r.readUInt32(), encode: (w, v) => w.writeUInt32(v as number) };
    case 'int64':
      return { decode: (r) => r.readInt64(), encode: (w, v) => w.writeInt64(v as number) };
    case 'float64':
      return { decode: (r) => r.readFloat64(), encode: (w, v) => w.writeFloat64(v as number) };
    case 'uuid':
      return { decode: (r) => r.readUuid(), encode: (w, v) => w.writeUuid(v as string) };
    case 'string':
      return {
        decode: flexible
          ? nullable
            ? (r) => r.readCompactNullableString()
            : (r) => r.readCompactString()
          : nullable
            ? (r) => r.readNullableString()
            : (r) => r.readString(),
        encode: (w, v) => {
          if (v === null && !nullable) throw nullErr(path);
          if (v !== null && typeof v !== 'string') throw new ProtocolError(`${path}: expected a string`);
          if (flexible) w.writeCompactNullableString(v);
          else w.writeNullableString(v);
        },
      };
    case 'bytes':
    case 'records': {
      const isRecords = t === 'records';
      return {
        decode: flexible
          ? nullable
            ? (r) => r.readCompactNullableBytes()
            : (r) => r.readCompactBytes()
          : nullable
            ? (r) => r.readNullableBytes()
            : (r) => r.readBytes(),
        encode: (w, v) => {
          if (v === null) {
            if (!nullable) throw nullErr(path);
            if (flexible) w.writeUnsignedVarInt(0);
            else w.writeInt32(-1);
            return;
          }
          if (isRecords && Array.isArray(v)) {
            writeChunks(w, v as Buffer[], flexible);
            return;
          }
          if (!Buffer.isBuffer(v)) throw new ProtocolError(`${path}: expected a Buffer`);
          if (flexible) w.writeCompactBytes(v);
          else w.writeBytes(v);
        },
      };
    }
    default:
      throw new Error(`${path}: unknown type ${String(t)}`);
  }
}

/** Records given as several buffers: one length prefix, then each buffer zero-copy. */
function writeChunks(w: Writer, chunks: readonly Buffer[], flexible: boolean): void {
  let size = 0;
  for (const c of chunks) size += c.length;
  if (flexible) w.writeUnsignedVarInt(size + 1);
  else w.writeInt32(size);
  for (const c of chunks) w.writeChunk(c);
}
