/**
 * Test-only: JSON value types and the patch algorithms the fake API server needs:
 * RFC 7386 merge patch, and an approximation of server-side apply (fields a manager applied
 * before but no longer applies are removed; lists are replaced whole, as for atomic lists).
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [k: string]: Json;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T extends Json>(v: T): T {
  return structuredClone(v);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Server-side apply, approximated: the applied configuration is merged into the live object;
 * a field present in the manager's previous applied configuration but absent from this one
 * is removed (that is what field ownership buys an SSA client); lists are atomic.
 */
export function applyConfig(live: Json | undefined, previous: Json | undefined, applied: Json): Json {
  if (!isObject(applied)) return clone(applied);
  const out: JsonObject = isObject(live) ? { ...live } : {};
  const prev = isObject(previous) ? previous : {};
  for (const k of Object.keys(prev)) if (!(k in applied)) delete out[k];
  for (const [k, v] of Object.entries(applied)) out[k] = applyConfig(out[k], prev[k], v);
  return out;
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated. */
export function matchesSelector(labels: Readonly<Record<string, string>> | undefined, selector: string | undefined): boolean {
  if (selector === undefined || selector.trim() === '') return true;
  const l = labels ?? {};
  for (const raw of selector.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(term))) {
      if (l[m[1] ?? ''] === m[2]) return false;
    } else if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(term))) {
      if (l[m[1] ?? ''] !== m[2]) return false;
    } else if ((m = /^!\s*(\S+)$/.exec(term))) {
      if ((m[1] ?? '') in l) return false;
    } else if (!(term in l)) return false;
  }
  return true;
}
