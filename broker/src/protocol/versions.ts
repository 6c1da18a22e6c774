/** Kafka version-range strings: "0+", "3-5", "7", "none". Parsed once and cached. */

export interface VersionRange {
  readonly min: number;
  readonly max: number; // Infinity for "N+"; -1 with min 0 for "none"
}

const NONE: VersionRange = { min: 0, max: -1 };
const cache = new Map<string, VersionRange>();

export function parseVersionRange(spec: string | undefined): VersionRange {
  if (spec === undefined) return NONE;
  let r = cache.get(spec);
  if (r !== undefined) return r;
  const s = spec.trim();
  let m: RegExpMatchArray | null;
  if (s === 'none' || s === '') r = NONE;
  else if ((m = /^(\d+)\+$/.exec(s)) !== null) r = { min: Number(m[1]), max: Infinity };
  else if ((m = /^(\d+)-(\d+)$/.exec(s)) !== null) r = { min: Number(m[1]), max: Number(m[2]) };
  else if ((m = /^(\d+)$/.exec(s)) !== null) r = { min: Number(m[1]), max: Number(m[1]) };
  else throw new Error(`invalid version range ${JSON.stringify(spec)}`);
  cache.set(spec, r);
  return r;
}

export function inVersionRange(spec: string | undefined, version: number): boolean {
  const r = parseVersionRange(spec);
  return version >= r.min && version <= r.max;
}

/** Highest concrete version of a range (for "N+" ranges, the caller's cap). */
export function maxOfRange(spec: string, cap: number): number {
  const r = parseVersionRange(spec);
  return Math.min(r.max, cap);
}
