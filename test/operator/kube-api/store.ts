/**
 * Test-only: the object store behind the fake Kubernetes API server, with the semantics the
 * operator relies on: one global resourceVersion counter, optimistic concurrency (409 when an
 * update names a stale resourceVersion), metadata.generation bumped on spec changes only,
 * the status subresource (main-resource writes keep status, status writes keep the rest),
 * finalizers + deletionTimestamp, background owner-reference garbage collection, an event
 * history for watches that resume from a resourceVersion (410 Gone when it is too old).
 */
import { randomUUID } from 'node:crypto';
import { applyConfig, clone, deepEqual, isObject, matchesSelector, mergePatch, type Json, type JsonObject } from './json.js';

export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly statusSubresource: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
}

export type KObject = JsonObject & { apiVersion: string; kind: string; metadata: ObjectMeta & JsonObject };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  readonly rv: number;
  readonly type: ResourceType;
  readonly event: WatchEventType;
  readonly object: KObject;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type PatchKind = 'merge' | 'apply';

const HISTORY_LIMIT = 20_000;

function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Everything outside metadata and status: what generation counts. */
function specPart(o: JsonObject): JsonObject {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

export class Store {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly uids = new Map<string, { type: ResourceType; namespace: string; name: string }>();
  private readonly applied = new Map<string, Json>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  constructor(readonly types: readonly ResourceType[]) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch may resume from. */
  get oldestResumable(): number {
    return this.history[0]?.rv ?? this.rv;
  }

  typeByPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  typeByKind(apiVersion: string, kind: string): ResourceType {
    const t = this.types.find((x) => apiVersionOf(x) === apiVersion && x.kind === kind);
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${apiVersion} ${kind})`);
    return t;
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  eventsSince(rv: number): StoredEvent[] {
    return this.history.filter((e) => e.rv > rv);
  }

  list(type: ResourceType, namespace?: string, selector?: string): KObject[] {
    const bucket = this.objects.get(type.plural + '.' + type.group);
    if (!bucket) return [];
    return [...bucket.values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter((o) => matchesSelector(o.metadata.labels, selector))
      .map((o) => clone(o));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KObject {
    const o = this.bucket(type).get(this.id(namespace, name));
    if (!o) throw new ApiError(404, 'NotFound', `${type.plural}.${type.group} "${name}" not found`);
    return clone(o);
  }

  tryGet(type: ResourceType, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(type).get(this.id(namespace, name));
    return o ? clone(o) : undefined;
  }

  create(type: ResourceType, namespace: string | undefined, body: JsonObject, fieldManager?: string): KObject {
    const meta = isObject(body['metadata']) ? body['metadata'] : {};
    const name = typeof meta['name'] === 'string' ? meta['name'] : '';
    if (name === '') throw new ApiError(422, 'Invalid', 'metadata.name: Required value');
    const ns = type.namespaced ? namespace ?? (typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default') : undefined;
    if (this.bucket(type).has(this.id(ns, name))) throw new ApiError(409, 'AlreadyExists', `${type.plural}.${type.group} "${name}" already exists`);
    const obj = clone(body) as KObject;
    if (type.statusSubresource) delete obj['status'];
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const m = obj.metadata ?? ({} as KObject['metadata']);
    obj.metadata = m;
    delete m.deletionTimestamp;
    m.name = name;
    if (ns !== undefined) m.namespace = ns;
    else delete m.namespace;
    m.uid = randomUUID();
    m.generation = 1;
    m.creationTimestamp = new Date().toISOString();
    m.resourceVersion = String(++this.rv);
    this.bucket(type).set(this.id(ns, name), obj);
    this.uids.set(m.uid, { type, namespace: ns ?? '', name });
    if (fieldManager !== undefined) this.applied.set(`${m.uid}/${fieldManager}`, clone(body));
    this.emit(type, 'ADDED', obj);
    return clone(obj);
  }

  /** PUT of the main resource or (subresource 'status') of status only. */
  replace(type: ResourceType, namespace: string | undefined, name: string, body: JsonObject, subresource?: 'status'): KObject {
    const cur = this.get(type, namespace, name);
    const meta = isObject(body['metadata']) ? body['metadata'] : {};
    const rv = meta['resourceVersion'];
    if (typeof rv === 'string' && rv !== '' && rv !== cur.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    let next: KObject;
    if (subresource === 'status') {
      next = clone(cur);
      if (body['status'] === undefined) delete next['status'];
      else next['status'] = clone(body['status']);
    } else {
      next = clone(body) as KObject;
      next.apiVersion = cur.apiVersion;
      next.kind = cur.kind;
      next.metadata = { ...(next.metadata ?? {}), ...this.systemMeta(cur) } as KObject['metadata'];
      if (type.statusSubresource) {
        if (cur['status'] === undefined) delete next['status'];
        else next['status'] = clone(cur['status']);
      }
    }
    return this.commit(type, cur, next);
  }

  patch(type: ResourceType, namespace: string | undefined, name: string, kind: PatchKind, body: JsonObject, opts: { subresource?: 'status'; fieldManager?: string } = {}): KObject {
    const cur = this.tryGet(type, namespace, name);
    if (cur === undefined) {
      if (kind === 'apply' && opts.subresource === undefined) return this.create(type, namespace, body, opts.fieldManager ?? 'unknown');
      throw new ApiError(404, 'NotFound', `${type.plural}.${type.group} "${name}" not found`);
    }
    const meta = isObject(body['metadata']) ? body['metadata'] : {};
    const rv = meta['resourceVersion'];
    if (typeof rv === 'string' && rv !== cur.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural}.${type.group} "${name}": the object has been modified`);
    }
    let merged: Json;
    if (kind === 'apply') {
      const key = `${cur.metadata.uid}/${opts.fieldManager ?? 'unknown'}`;
      merged = applyConfig(cur, this.applied.get(key), body);
      this.applied.set(key, clone(body));
    } else {
      merged = mergePatch(cur, body);
    }
    if (!isObject(merged)) throw new ApiError(422, 'Invalid', 'patch did not produce an object');
    const next = merged as KObject;
    next.metadata = { ...next.metadata, ...this.systemMeta(cur) } as KObject['metadata'];
    // Deleting a finalizer is allowed; setting deletionTimestamp through a patch is not.
    if (opts.subresource === 'status') {
      const onlyStatus = clone(cur);
      if (next['status'] === undefined) delete onlyStatus['status'];
      else onlyStatus['status'] = next['status'];
      return this.commit(type, cur, onlyStatus);
    }
    if (type.statusSubresource) {
      if (cur['status'] === undefined) delete next['status'];
      else next['status'] = clone(cur['status']);
    }
    return this.commit(type, cur, next);
  }

  /** DELETE: with finalizers only marks deletionTimestamp; otherwise removes, then GC. */
  delete(type: ResourceType, namespace: string | undefined, name: string): KObject {
    const cur = this.get(type, namespace, name);
    if ((cur.metadata.finalizers ?? []).length > 0) {
      if (cur.metadata.deletionTimestamp !== undefined) return cur;
      const next = clone(cur);
      next.metadata.deletionTimestamp = new Date().toISOString();
      return this.commit(type, cur, next, true);
    }
    this.remove(type, cur);
    this.collectGarbage();
    return cur;
  }

  private remove(type: ResourceType, cur: KObject): void {
    this.bucket(type).delete(this.id(cur.metadata.namespace, cur.metadata.name));
    this.uids.delete(cur.metadata.uid);
    for (const k of [...this.applied.keys()]) if (k.startsWith(cur.metadata.uid + '/')) this.applied.delete(k);
    const gone = clone(cur);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit(type, 'DELETED', gone);
  }

  /** Background cascading deletion: objects all of whose owners are gone are deleted. */
  collectGarbage(): void {
    for (let changed = true; changed; ) {
      changed = false;
      for (const t of this.types) {
        for (const o of this.list(t)) {
          const owners = o.metadata.ownerReferences ?? [];
          if (owners.length === 0 || owners.some((r) => this.uids.has(r.uid))) continue;
          if (o.metadata.deletionTimestamp !== undefined) continue;
          // An earlier deletion in this pass may have collected it already.
          if (this.tryGet(t, o.metadata.namespace, o.metadata.name) === undefined) continue;
          this.delete(t, o.metadata.namespace, o.metadata.name);
          changed = true;
        }
      }
    }
  }

  private commit(type: ResourceType, cur: KObject, next: KObject, force = false): KObject {
    // A finalizer list emptied on an object being deleted completes the deletion.
    if (next.metadata.deletionTimestamp !== undefined && (next.metadata.finalizers ?? []).length === 0) {
      this.remove(type, next);
      this.collectGarbage();
      return next;
    }
    if (!force && deepEqual(cur, next)) return cur; // no-op writes do not bump resourceVersion
    if (!deepEqual(specPart(cur), specPart(next))) next.metadata.generation = cur.metadata.generation + 1;
    next.metadata.resourceVersion = String(++this.rv);
    this.bucket(type).set(this.id(next.metadata.namespace, next.metadata.name), next);
    this.emit(type, 'MODIFIED', next);
    return clone(next);
  }

  /** Fields the server owns; clients cannot change them with a write. */
  private systemMeta(cur: KObject): Partial<ObjectMeta> {
    const m = cur.metadata;
    return {
      name: m.name,
      ...(m.namespace !== undefined && { namespace: m.namespace }),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      generation: m.generation,
      creationTimestamp: m.creationTimestamp,
      ...(m.deletionTimestamp !== undefined && { deletionTimestamp: m.deletionTimestamp }),
    };
  }

  private emit(type: ResourceType, event: WatchEventType, object: KObject): void {
    const e: StoredEvent = { rv: Number(object.metadata.resourceVersion), type, event, object: clone(object) };
    this.history.push(e);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const l of this.listeners) l(e);
  }

  private bucket(type: ResourceType): Map<string, KObject> {
    const key = type.plural + '.' + type.group;
    let b = this.objects.get(key);
    if (!b) {
      b = new Map();
      this.objects.set(key, b);
    }
    return b;
  }

  private id(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }
}
