/**
 * The operator's one door to the Kubernetes API, over @kubernetes/client-node 1.x:
 * server-side apply of owned objects, reads, deletes, status and metadata patches.
 * Reconcilers see only the `KubeApi` interface, so their I/O is easy to follow and to fake.
 */
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';

/** The kinds the operator reads or writes, with their REST names. */
export interface KindInfo {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
}

export const KIND = {
  KafkaCluster: { apiVersion: 'strand.dev/v1alpha1', kind: 'KafkaCluster', plural: 'kafkaclusters' },
  Topic: { apiVersion: 'strand.dev/v1alpha1', kind: 'Topic', plural: 'topics' },
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets' },
  Pod: { apiVersion: 'v1', kind: 'Pod', plural: 'pods' },
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
} as const satisfies Record<string, KindInfo>;

/** REST path of a kind's collection, in one namespace or (undefined) all of them. */
export function collectionPath(k: KindInfo, namespace?: string): string {
  const base = k.apiVersion.includes('/') ? `/apis/${k.apiVersion}` : `/api/${k.apiVersion}`;
  return namespace === undefined ? `${base}/${k.plural}` : `${base}/namespaces/${encodeURIComponent(namespace)}/${k.plural}`;
}

/** The HTTP status of a client-node error (ApiException.code), if it has one. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A short message for logs and conditions: the API server's Status message when there is one. */
export function kubeErrorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const body = (err as { body?: unknown }).body;
    if (typeof body === 'object' && body !== null) {
      const msg = (body as { message?: unknown }).message;
      if (typeof msg === 'string') return `${httpStatus(err) ?? ''} ${msg}`.trim();
    }
    if (typeof body === 'string' && body.length > 0) return `${httpStatus(err) ?? ''} ${body.slice(0, 300)}`.trim();
  }
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

/**
 * client-node deserializes known types (and every object's metadata) into model classes with
 * Date fields, while watch events stay plain JSON. One JSON round trip gives every reader the
 * same shape: timestamps as RFC 3339 strings, as the zod schemas expect.
 */
export function plain<T>(obj: T): T {
  return JSON.parse(JSON.stringify(obj)) as T;
}

export interface KubeApi {
  /** Server-side apply (force: the operator owns these fields); returns the live object. */
  apply<T extends KubernetesObject>(obj: T): Promise<T>;
  get<T extends KubernetesObject>(kind: KindInfo, namespace: string, name: string): Promise<T | null>;
  list<T extends KubernetesObject>(kind: KindInfo, namespace: string | undefined, labelSelector?: string): Promise<KubernetesListObject<T>>;
  /** Deletes; false when it was already gone. Dependents go in the background (GC). */
  delete(kind: KindInfo, namespace: string, name: string): Promise<boolean>;
  /** JSON merge patch of the status subresource. */
  patchStatus(kind: KindInfo, namespace: string, name: string, status: object): Promise<void>;
  /**
   * JSON merge patch of metadata (finalizers). With resourceVersion set, the server rejects
   * it with 409 if the object changed since it was read, so a finalizer list is never lost.
   */
  patchMetadata(kind: KindInfo, namespace: string, name: string, metadata: { finalizers?: string[] | null; resourceVersion?: string }): Promise<void>;
  /** True when the API server serves this kind (e.g. the ServiceMonitor CRD is installed). */
  serves(apiVersion: string, kind: string): Promise<boolean>;
}

export class ClientNodeKube implements KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly fieldManager = 'strand-operator',
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kubeConfig);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  async apply<T extends KubernetesObject>(obj: T): Promise<T> {
    // SSA wants no resourceVersion/managedFields in the applied configuration.
    return this.objects.patch(obj, undefined, undefined, this.fieldManager, true, PatchStrategy.ServerSideApply);
  }

  async get<T extends KubernetesObject>(kind: KindInfo, namespace: string, name: string): Promise<T | null> {
    try {
      return plain(await this.objects.read<T>({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name, namespace } }));
    } catch (err) {
      if (httpStatus(err) === 404) return null;
      throw err;
    }
  }

  async list<T extends KubernetesObject>(kind: KindInfo, namespace: string | undefined, labelSelector?: string): Promise<KubernetesListObject<T>> {
    return plain(await this.objects.list<T>(kind.apiVersion, kind.kind, namespace, undefined, undefined, undefined, undefined, labelSelector));
  }

  async delete(kind: KindInfo, namespace: string, name: string): Promise<boolean> {
    try {
      await this.objects.delete({ apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name, namespace } }, undefined, undefined, undefined, undefined, 'Background');
      return true;
    } catch (err) {
      if (httpStatus(err) === 404) return false;
      throw err;
    }
  }

  async patchStatus(kind: KindInfo, namespace: string, name: string, status: object): Promise<void> {
    const [group = '', version = ''] = kind.apiVersion.split('/');
    await this.custom.patchNamespacedCustomObjectStatus(
      { group, version, namespace, plural: kind.plural, name, body: { status } },
      this.mergePatch,
    );
  }

  async patchMetadata(kind: KindInfo, namespace: string, name: string, metadata: { finalizers?: string[] | null; resourceVersion?: string }): Promise<void> {
    const spec = { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { name, namespace, ...metadata } } as KubernetesObject;
    await this.objects.patch(spec, undefined, undefined, this.fieldManager, undefined, PatchStrategy.MergePatch);
  }

  async serves(apiVersion: string, kind: string): Promise<boolean> {
    try {
      await this.objects.list(apiVersion, kind, 'default', undefined, undefined, undefined, undefined, undefined, 1);
      return true;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404 || (err instanceof Error && err.message.includes('Unrecognized API version and kind'))) return false;
      if (err instanceof Error && err.message.includes('Failed to fetch resource metadata')) return false;
      throw err;
    }
  }
}
