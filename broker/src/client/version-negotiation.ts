/**
 * ApiVersions exchange and version choice. For each API we use min(our max, the broker's
 * max), provided the ranges overlap. "Our" range is the schema's lowest version up to the
 * ApiDefinition's maxVersion (the highest version this codebase is known to handle).
 *
 * A broker that does not know our ApiVersions version answers error 35 (UNSUPPORTED_VERSION)
 * with a v0-shaped body, possibly listing its own ApiVersions range; like librdkafka we then
 * retry at the highest version both sides know, or at v0.
 */
import { ApiVersions, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import type { ApiDefinition } from '../protocol/schema-types.js';
import { decodeMessage } from '../protocol/codec.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { Reader } from '../protocol/primitives.js';
import { parseVersionRange } from '../protocol/versions.js';
import { UnsupportedApiError } from './errors.js';

/** What negotiation needs from a connection (keeps this module free of socket code). */
export interface RequestSender {
  request<Res>(api: ApiDefinition, version: number, body: object, opts?: { timeoutMs?: number; decode?: (r: Reader) => unknown }): Promise<Res>;
}

export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

const CLIENT_SOFTWARE_NAME = 'strand-client';
const CLIENT_SOFTWARE_VERSION = '0.1.0';

export class ApiVersionTable {
  constructor(
    /** The broker's advertised range per api key. */
    readonly broker: ReadonlyMap<number, VersionRange>,
    /** The ApiVersions version the exchange finally used. */
    readonly apiVersionsVersion: number,
  ) {}

  /** Our usable range for an API: the schema's lowest version to the definition's max. */
  static ours(api: ApiDefinition): VersionRange {
    return { minVersion: parseVersionRange(api.request.validVersions).min, maxVersion: api.maxVersion };
  }

  supports(api: ApiDefinition): boolean {
    return this.overlap(api) !== null;
  }

  /** The version to use for `api`; throws UnsupportedApiError if there is none. */
  pick(api: ApiDefinition): number {
    const v = this.overlap(api);
    if (v === null) {
      const theirs = this.broker.get(api.apiKey);
      const ours = ApiVersionTable.ours(api);
      const detail =
        theirs === undefined
          ? 'not offered by the broker'
          : `broker offers ${theirs.minVersion}-${theirs.maxVersion}, we speak ${ours.minVersion}-${ours.maxVersion}`;
      throw new UnsupportedApiError(api.name, api.apiKey, detail);
    }
    return v;
  }

  private overlap(api: ApiDefinition): number | null {
    const theirs = this.broker.get(api.apiKey);
    if (theirs === undefined) return null;
    const ours = ApiVersionTable.ours(api);
    const v = Math.min(ours.maxVersion, theirs.maxVersion);
    return v >= Math.max(ours.minVersion, theirs.minVersion) ? v : null;
  }
}

type Attempt = { kind: 'ok'; body: ApiVersionsResponse } | { kind: 'unsupported'; body: ApiVersionsResponse };

/** Decodes either the requested version or, on error 35, the v0-shaped fallback body. */
function decoderFor(version: number): (r: Reader) => Attempt {
  return (r) => {
    const start = r.pos;
    const errorCode = r.readInt16();
    r.pos = start;
    if (errorCode === ErrorCode.UNSUPPORTED_VERSION && version > 0) {
      return { kind: 'unsupported', body: decodeMessage<ApiVersionsResponse>(ApiVersions.response, 0, r) };
    }
    return { kind: 'ok', body: decodeMessage<ApiVersionsResponse>(ApiVersions.response, version, r) };
  };
}

function tableOf(body: ApiVersionsResponse, version: number): ApiVersionTable {
  const m = new Map<number, VersionRange>();
  for (const k of body.apiKeys) m.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
  return new ApiVersionTable(m, version);
}

export async function negotiateApiVersions(conn: RequestSender, timeoutMs: number): Promise<ApiVersionTable> {
  let version = ApiVersions.maxVersion;
  const tried = new Set<number>();
  for (;;) {
    tried.add(version);
    const body = { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    const res = await conn.request<Attempt>(ApiVersions, version, body, { timeoutMs, decode: decoderFor(version) });
    if (res.kind === 'ok') {
      if (res.body.errorCode !== ErrorCode.NONE) throw new KafkaError(res.body.errorCode, `ApiVersions v${version} failed`);
      return tableOf(res.body, version);
    }
    const theirs = res.body.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey);
    let next = theirs === undefined ? 0 : Math.min(theirs.maxVersion, ApiVersions.maxVersion);
    if (tried.has(next)) next = 0;
    if (tried.has(next)) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'broker rejects every ApiVersions version we tried');
    version = next;
  }
}
