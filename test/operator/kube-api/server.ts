/**
 * Test-only: a Kubernetes API server on 127.0.0.1 (fastify, ephemeral port) speaking enough
 * of the REST and watch protocol for @kubernetes/client-node 1.x and the operator:
 * discovery (/api/v1, /apis/G/V), namespaced and cluster-wide list (with resourceVersion and
 * label selectors), watch streams (ADDED/MODIFIED/DELETED, BOOKMARK, ERROR 410 when the
 * requested resourceVersion is too old, server-side timeouts), get/create/replace/delete,
 * merge/strategic/apply patches, and the status subresource. Objects live in `Store`.
 *
 * Not here: authentication, admission (CRD schema/CEL validation and defaulting), field
 * selectors, paging, strategic-merge list semantics (treated as a JSON merge patch).
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { writeFile } from 'node:fs/promises';
import { isObject, matchesSelector, type Json, type JsonObject } from './json.js';
import { ApiError, Store, type KObject, type PatchKind, type ResourceType, type StoredEvent } from './store.js';

export const DEFAULT_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, statusSubresource: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, statusSubresource: true },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, statusSubresource: false },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, statusSubresource: true },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, statusSubresource: false },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, statusSubresource: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, statusSubresource: true },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, statusSubresource: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true, statusSubresource: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true, statusSubresource: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true, statusSubresource: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, statusSubresource: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false, statusSubresource: false },
  { group: 'strand.dev', version: 'v1alpha1', kind: 'KafkaCluster', plural: 'kafkaclusters', namespaced: true, statusSubresource: true },
  { group: 'strand.dev', version: 'v1alpha1', kind: 'Topic', plural: 'topics', namespaced: true, statusSubresource: true },
];

export const SERVICE_MONITOR_TYPE: ResourceType = {
  group: 'monitoring.coreos.com',
  version: 'v1',
  kind: 'ServiceMonitor',
  plural: 'servicemonitors',
  namespaced: true,
  statusSubresource: false,
};

export interface FakeApiServerOptions {
  readonly types?: readonly ResourceType[];
  /** Close every watch after this long (real servers do, after timeoutSeconds); default 60 s. */
  readonly watchMaxMs?: number;
  readonly bookmarkIntervalMs?: number;
}

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | undefined;
}

function status(code: number, reason: string, message: string): JsonObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const PATCH_TYPES: Record<string, PatchKind> = {
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'merge',
  'application/apply-patch+yaml': 'apply',
};

export class FakeApiServer {
  readonly store: Store;
  private readonly app: FastifyInstance;
  private readonly openWatches = new Set<() => void>();
  private port = 0;
  /** Requests served, by "METHOD plural[/status]" (tests assert what the operator did). */
  readonly requestLog: string[] = [];

  constructor(private readonly opts: FakeApiServerOptions = {}) {
    this.store = new Store(opts.types ?? DEFAULT_TYPES);
    this.app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
    for (const ct of [...Object.keys(PATCH_TYPES), 'application/json-patch+json']) {
      this.app.addContentTypeParser(ct, { parseAs: 'string' }, (_req, body, done) => {
        try {
          done(null, JSON.parse(String(body)));
        } catch (err) {
          done(err as Error, undefined);
        }
      });
    }
    this.app.all('/*', (req, reply) => this.handle(req, reply));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = this.app.server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  async stop(): Promise<void> {
    for (const end of [...this.openWatches]) end();
    await this.app.close();
  }

  /** Ends every open watch stream (clients must re-watch from their resourceVersion). */
  dropWatches(): void {
    for (const end of [...this.openWatches]) end();
  }

  /** Writes a kubeconfig pointing at this server; returns its path. */
  async writeKubeconfig(path: string, namespace = 'default'): Promise<string> {
    const kc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: 'test' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace } }],
      'current-context': 'fake',
    };
    await writeFile(path, JSON.stringify(kc));
    return path;
  }

  private parse(path: string): Route | { discovery: string } | null {
    const parts = path.split('?')[0]?.split('/').filter((p) => p !== '').map(decodeURIComponent) ?? [];
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 2) {
      group = '';
      version = parts[1] ?? '';
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      group = parts[1] ?? '';
      version = parts[2] ?? '';
      rest = parts.slice(3);
    } else return null;
    if (rest.length === 0) return { discovery: group === '' ? version : `${group}/${version}` };
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = this.store.typeByPlural(group, version, rest[0] ?? '');
    if (!type) return null;
    const sub = rest[2];
    if (sub !== undefined && sub !== 'status') return null;
    return { type, namespace, name: rest[1], subresource: sub };
  }

  private async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const url = new URL(req.url, 'http://x');
    const route = this.parse(url.pathname);
    if (route === null) {
      await reply.code(404).send(status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`));
      return;
    }
    if ('discovery' in route) {
      await this.discovery(route.discovery, reply);
      return;
    }
    this.requestLog.push(`${req.method} ${route.type.plural}${route.subresource ? '/status' : ''}${route.name ? ' ' + route.name : ''}`);
    const q = url.searchParams;
    try {
      const body = (req.body ?? {}) as Json;
      const obj: JsonObject = isObject(body) ? body : {};
      const { type, namespace, name, subresource } = route;
      switch (req.method) {
        case 'GET':
          if (name !== undefined) return void (await reply.send(this.store.get(type, namespace, name)));
          if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(route, q, reply);
          return void (await reply.send(this.listBody(type, namespace, q.get('labelSelector') ?? undefined)));
        case 'POST':
          if (name !== undefined) throw new ApiError(405, 'MethodNotAllowed', 'POST to a named resource');
          return void (await reply.code(201).send(this.store.create(type, namespace, obj)));
        case 'PUT':
          if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'PUT needs a name');
          return void (await reply.send(this.store.replace(type, namespace, name, obj, subresource)));
        case 'PATCH': {
          if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'PATCH needs a name');
          const ct = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
          const kind = PATCH_TYPES[ct];
          if (kind === undefined) throw new ApiError(415, 'UnsupportedMediaType', `patch type ${ct} not supported by the test API server`);
          const fieldManager = q.get('fieldManager') ?? undefined;
          const patched = this.store.patch(type, namespace, name, kind, obj, { ...(subresource && { subresource }), ...(fieldManager !== undefined && { fieldManager }) });
          return void (await reply.send(patched));
        }
        case 'DELETE':
          if (name === undefined) throw new ApiError(405, 'MethodNotAllowed', 'DELETE collection not supported');
          return void (await reply.send(this.store.delete(type, namespace, name)));
        default:
          throw new ApiError(405, 'MethodNotAllowed', req.method);
      }
    } catch (err) {
      if (err instanceof ApiError) return void (await reply.code(err.code).send(status(err.code, err.reason, err.message)));
      throw err;
    }
  }

  private listBody(type: ResourceType, namespace: string | undefined, selector: string | undefined): JsonObject {
    return {
      apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
      kind: `${type.kind}List`,
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items: this.store.list(type, namespace, selector),
    };
  }

  private async discovery(groupVersion: string, reply: FastifyReply): Promise<void> {
    const types = this.store.types.filter((t) => (t.group === '' ? t.version : `${t.group}/${t.version}`) === groupVersion);
    if (types.length === 0) return void (await reply.code(404).send(status(404, 'NotFound', `no API group ${groupVersion}`)));
    await reply.send({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: types.map((t) => ({
        name: t.plural,
        singularName: t.kind.toLowerCase(),
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    });
  }

  private watch(route: Route, q: URLSearchParams, reply: FastifyReply): void {
    const { type, namespace } = route;
    const selector = q.get('labelSelector') ?? undefined;
    const rvParam = q.get('resourceVersion') ?? '';
    const bookmarks = q.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = Number(q.get('timeoutSeconds') ?? '0');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // clients wait for the headers before they read events
    const send = (eventType: string, object: Json): void => {
      res.write(JSON.stringify({ type: eventType, object }) + '\n');
    };
    const relevant = (e: StoredEvent): boolean =>
      e.type === type && (namespace === undefined || e.object.metadata.namespace === namespace) && matchesSelector(e.object.metadata.labels, selector);
    let last = 0;
    const deliver = (e: StoredEvent): void => {
      if (e.rv <= last || !relevant(e)) return;
      last = e.rv;
      send(e.event, e.object);
    };

    let ended = false;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe: () => void = () => undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.openWatches.delete(end);
      res.end();
    };
    this.openWatches.add(end);
    res.on('close', end);

    if (rvParam === '' || rvParam === '0') {
      // "Any" version: synthetic ADDED for the current state, then changes.
      for (const o of this.store.list(type, namespace, selector)) send('ADDED', o);
      last = this.store.resourceVersion;
    } else {
      const from = Number(rvParam);
      if (!Number.isFinite(from) || from < this.store.oldestResumable - 1) {
        send('ERROR', status(410, 'Expired', `too old resource version: ${rvParam} (${this.store.oldestResumable})`));
        end();
        return;
      }
      last = from;
      for (const e of this.store.eventsSince(from)) deliver(e);
      last = Math.max(last, from);
    }
    unsubscribe = this.store.subscribe(deliver);
    if (bookmarks) {
      const interval = this.opts.bookmarkIntervalMs ?? 5000;
      const tick = (): void => {
        if (ended) return;
        const bookmark: KObject = {
          apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
          kind: type.kind,
          metadata: { resourceVersion: String(Math.max(last, this.store.resourceVersion)) } as KObject['metadata'],
        };
        send('BOOKMARK', bookmark);
        timers.push(setTimeout(tick, interval));
      };
      timers.push(setTimeout(tick, interval));
    }
    const maxMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 : this.opts.watchMaxMs ?? 60_000;
    timers.push(setTimeout(end, maxMs));
  }
}
