/**
 * Shared vocabulary for topic and broker config definitions: Kafka's config types and
 * sources (as DescribeConfigs reports them) and zod validators over the string values
 * clients send. Kafka config values travel as strings; parsing happens here, once.
 */
import { z } from 'zod';

/** Kafka's ConfigDef.Type; DescribeConfigs v3+ reports the numeric code. */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

export const CONFIG_TYPE_CODE: Readonly<Record<ConfigType, number>> = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
};

/** DescribeConfigsResponse ConfigSource codes (v1+). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSourceCode = (typeof ConfigSource)[keyof typeof ConfigSource];

export const LONG_MAX = 9223372036854775807n;
export const LONG_MIN = -9223372036854775808n;
export const LONG_MAX_STRING = '9223372036854775807';
const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;

/** A validator: the raw string in, the parsed value out (or zod issues). */
export type ValueSchema = z.ZodType<unknown, string>;

function integer(lo: bigint, hi: bigint, kind: string, min?: number, max?: number): ValueSchema {
  return z
    .string()
    .trim()
    .regex(/^[+-]?\d+$/, `Expected value to be a ${kind} number`)
    .transform((s) => BigInt(s))
    .refine((b) => b >= lo && b <= hi, `Value is out of range for a ${kind}`)
    .refine((b) => min === undefined || b >= BigInt(min), `Value must be at least ${min}`)
    .refine((b) => max === undefined || b <= BigInt(max), `Value must be no more than ${max}`)
    // Long.MAX-style sentinels lose precision as a JS number; every consumer only compares them.
    .transform((b) => Number(b));
}

export const V = {
  int: (min?: number, max?: number): ValueSchema => integer(INT_MIN, INT_MAX, '32-bit integer', min, max),
  long: (min?: number, max?: number): ValueSchema => integer(LONG_MIN, LONG_MAX, '64-bit integer', min, max),
  double: (min: number, max: number): ValueSchema =>
    z
      .string()
      .trim()
      .regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'Expected value to be a double')
      .transform(Number)
      .refine((n) => n >= min && n <= max, `Value must be between ${min} and ${max}`),
  boolean: (): ValueSchema =>
    z
      .string()
      .trim()
      .toLowerCase()
      .refine((s) => s === 'true' || s === 'false', 'Expected value to be either true or false')
      .transform((s) => s === 'true'),
  oneOf: (values: readonly string[]): ValueSchema =>
    z
      .string()
      .trim()
      .refine((s) => values.includes(s), `String must be one of: ${values.join(', ')}`),
  /** Comma-separated list, each item from `values`; Kafka's ValidList (non-empty). */
  listOf: (values: readonly string[]): ValueSchema =>
    z
      .string()
      .transform((s) => splitList(s))
      .refine((items) => items.length > 0, 'Empty list is not allowed')
      .refine((items) => items.every((i) => values.includes(i)), `Invalid value; each item must be one of: ${values.join(', ')}`),
  /** Throttled-replica lists: "", "*", or "partition:broker,..." */
  replicaList: (): ValueSchema =>
    z
      .string()
      .transform((s) => splitList(s))
      .refine(
        (items) => (items.length === 1 && items[0] === '*') || items.every((i) => /^\d+:\d+$/.test(i)),
        'Expected a list of partitionId:brokerId pairs, or *',
      ),
  string: (): ValueSchema => z.string(),
  nonEmptyString: (): ValueSchema => z.string().trim().min(1, 'Value must be non-empty'),
};

export function splitList(s: string): string[] {
  return s
    .split(',')
    .map((i) => i.trim())
    .filter((i) => i.length > 0);
}

export type ParseResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/** Kafka-shaped message: "Invalid value x for configuration retention.ms: Value must be at least -1". */
export function parseWith(schema: ValueSchema, name: string, value: string): ParseResult {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const why = r.error.issues[0]?.message ?? 'invalid value';
  return { ok: false, message: `Invalid value ${value} for configuration ${name}: ${why}` };
}

/** Settings values (number | boolean | string | list) rendered the way Kafka prints configs. */
export function renderValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(String).join(',');
  return String(v);
}
