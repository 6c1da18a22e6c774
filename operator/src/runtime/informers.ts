/**
 * Informers (client-node's ListWatch: list, then watch from the list's resourceVersion, relist
 * on 410 Gone) made resilient: client-node stops an informer for good on any other watch
 * error, so this wrapper restarts it with backoff and remembers for how long it has been
 * failing (surfaced on /healthz). One informer per (kind, namespace).
 */
import { makeInformer, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { collectionPath, kubeErrorMessage, type KindInfo, type KubeApi } from './kube.js';
import { backoffDelay } from './work-queue.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerListener<T> = (obj: T, event: InformerEvent) => void;

export class ResilientInformer<T extends KubernetesObject> {
  private readonly informer;
  private readonly listeners: Array<InformerListener<T>> = [];
  private failures = 0;
  private errorCount = 0;
  private failingSince: number | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private synced = false;

  constructor(
    kc: KubeConfig,
    kube: KubeApi,
    readonly kind: KindInfo,
    readonly namespace: string | undefined,
    private readonly logger: Logger,
    labelSelector?: string,
  ) {
    const path = collectionPath(kind, namespace);
    this.informer = makeInformer<T>(kc, path, () => kube.list<T>(kind, namespace, labelSelector), labelSelector);
    this.informer.on('add', (o: T) => this.emit(o, 'add'));
    this.informer.on('update', (o: T) => this.emit(o, 'update'));
    this.informer.on('delete', (o: T) => this.emit(o, 'delete'));
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  on(listener: InformerListener<T>): void {
    this.listeners.push(listener);
  }

  /** Starts listing and watching; resolves once the first list has filled the cache. */
  async start(): Promise<void> {
    this.stopped = false;
    const errorsBefore = this.errorCount;
    // client-node reports a failed list through the error callback, not by rejecting.
    await this.informer.start();
    if (this.errorCount === errorsBefore) this.synced = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  /** Cached objects (all namespaces this informer covers). */
  list(): readonly T[] {
    return this.informer.list();
  }

  get(name: string, namespace: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Milliseconds this informer has been failing to watch, or 0. */
  failingForMs(now = Date.now()): number {
    return this.failingSince === null ? 0 : now - this.failingSince;
  }

  private emit(obj: T, event: InformerEvent): void {
    // Any delivered event means the watch works again.
    this.failures = 0;
    this.failingSince = null;
    for (const l of this.listeners) {
      try {
        l(obj, event);
      } catch (err) {
        this.logger.error({ err, kind: this.kind.kind }, 'informer listener threw');
      }
    }
  }

  private onError(err: unknown): void {
    this.errorCount++;
    if (this.stopped) return;
    this.failures++;
    this.failingSince ??= Date.now();
    const delay = backoffDelay(this.failures, { baseMs: 500, maxMs: 30_000 });
    this.logger.warn({ kind: this.kind.kind, namespace: this.namespace ?? '*', error: kubeErrorMessage(err), retryInMs: delay }, 'watch failed; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      this.start().catch((e: unknown) => this.onError(e));
    }, delay);
    this.restartTimer.unref();
  }
}
