/**
 * Message layouts as data. Each Kafka API's request and response is written once as a
 * MessageSchema (mirroring apache/kafka's clients/src/main/resources/common/message/*.json)
 * and the generic codec derives encoding and decoding for every version from it.
 *
 * Version ranges use Kafka's syntax: "0+", "3-5", "7", "none".
 */

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64' // decoded as JS number (all offsets/timestamps/ids fit in 2^53); encode clamps to int64 range
  | 'float64'
  | 'string'
  | 'bytes' // decoded as a Buffer slice (zero-copy)
  | 'records' // RecordBatch bytes: decoded as a Buffer slice; encoded from a Buffer or a Buffer[] (zero-copy chunks)
  | 'uuid'; // 16 bytes, as a 32-char lowercase hex string; all-zero = "00000000000000000000000000000000"

export type FieldType =
  | PrimitiveType
  | { readonly array: FieldType } // "[]int32", "[]string", "[]SomeStruct"
  | { readonly struct: readonly Field[] }; // an inline struct (not an array element)

export interface Field {
  /** JS property name, camelCase of Kafka's name (e.g. "ThrottleTimeMs" -> "throttleTimeMs"). */
  readonly name: string;
  readonly type: FieldType;
  /** Versions in which the field is present. */
  readonly versions: string;
  readonly nullableVersions?: string;
  /** If set, the field is a tagged field in these (flexible) versions with this tag. */
  readonly taggedVersions?: string;
  readonly tag?: number;
  /**
   * Value used when decoding a version that lacks the field, and when encoding a tagged
   * field whose value equals the default (it is then omitted). Defaults: 0 / false / "" / [] / null for nullable.
   */
  readonly default?: unknown;
  /** Kafka's "ignorable": encoding a non-default value at a version lacking the field is silently dropped. */
  readonly ignorable?: boolean;
}

export interface MessageSchema {
  readonly name: string; // e.g. "ProduceRequest"
  readonly apiKey: number;
  readonly type: 'request' | 'response';
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: readonly Field[];
}

/** The request and response schema of one API, plus the versions this broker serves. */
export interface ApiDefinition {
  readonly apiKey: number;
  readonly name: string;
  readonly request: MessageSchema;
  readonly response: MessageSchema;
  /** The range this broker advertises in ApiVersions (a subset of validVersions). */
  readonly minVersion: number;
  readonly maxVersion: number;
}
