/**
 * A controller: informer events -> keys in a WorkQueue -> one reconcile function, with
 * periodic resync (every cached primary object is requeued, which is how drift made outside
 * the operator gets reverted even when no event announces it), metrics and structured logs.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ResilientInformer } from './informers.js';
import { kubeErrorMessage } from './kube.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue, type BackoffPolicy, type HandlerResult } from './work-queue.js';

export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

export function keyOf(k: ObjectKey): string {
  return `${k.namespace}/${k.name}`;
}

export function parseKey(key: string): ObjectKey {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export type ReconcileFn = (key: ObjectKey, log: Logger) => Promise<HandlerResult | void>;

export interface ControllerOptions {
  readonly concurrency?: number;
  readonly resyncMs?: number;
  readonly backoff?: BackoffPolicy;
}

export class Controller {
  readonly queue: WorkQueue;
  private readonly primaries: Array<ResilientInformer<KubernetesObject>> = [];
  private resyncTimer: NodeJS.Timeout | null = null;
  private gaugeTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    private readonly reconcile: ReconcileFn,
    private readonly metrics: OperatorMetrics,
    private readonly logger: Logger,
    private readonly opts: ControllerOptions = {},
  ) {
    this.queue = new WorkQueue(opts.concurrency ?? 2, opts.backoff, {
      onResult: (key, outcome) => {
        metrics.reconcileSeconds.observe({ controller: name }, outcome.ms / 1000);
        metrics.reconciles.inc({ controller: name, result: outcome.ok ? 'success' : 'error' });
        if (!outcome.ok) {
          metrics.reconcileErrors.inc({ controller: name });
          this.logger.warn({ controller: name, key, error: kubeErrorMessage(outcome.error), retryInMs: outcome.retryInMs }, 'reconcile failed');
        }
      },
    });
  }

  enqueue(key: ObjectKey): void {
    this.queue.add(keyOf(key));
  }

  /** Every event on the primary kind enqueues that object. */
  watchPrimary<T extends KubernetesObject>(informer: ResilientInformer<T>): void {
    this.primaries.push(informer as unknown as ResilientInformer<KubernetesObject>);
    informer.on((obj) => {
      const ns = obj.metadata?.namespace;
      const n = obj.metadata?.name;
      if (ns !== undefined && n !== undefined) this.enqueue({ namespace: ns, name: n });
    });
  }

  /** Events on a secondary kind enqueue the primaries `map` names (e.g. the owner). */
  watchMapped<T extends KubernetesObject>(informer: ResilientInformer<T>, map: (obj: T) => readonly ObjectKey[]): void {
    informer.on((obj) => {
      for (const k of map(obj)) this.enqueue(k);
    });
  }

  start(): void {
    this.queue.start(async (key) => {
      const k = parseKey(key);
      const log = this.logger.child({ controller: this.name, namespace: k.namespace, name: k.name });
      return this.reconcile(k, log);
    });
    for (const inf of this.primaries) for (const o of inf.list()) this.enqueueObject(o);
    const resyncMs = this.opts.resyncMs ?? 60_000;
    this.resyncTimer = setInterval(() => {
      for (const inf of this.primaries) for (const o of inf.list()) this.enqueueObject(o);
    }, resyncMs);
    this.resyncTimer.unref();
    this.gaugeTimer = setInterval(() => {
      this.metrics.queueDepth.set({ controller: this.name }, this.queue.depth);
      this.metrics.queueDelayed.set({ controller: this.name }, this.queue.delayed);
    }, 1000);
    this.gaugeTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    await this.queue.shutdown();
  }

  private enqueueObject(o: KubernetesObject): void {
    const ns = o.metadata?.namespace;
    const n = o.metadata?.name;
    if (ns !== undefined && n !== undefined) this.enqueue({ namespace: ns, name: n });
  }
}
