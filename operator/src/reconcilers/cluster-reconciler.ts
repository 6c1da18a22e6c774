/**
 * KafkaCluster reconciler: apply the builders' objects (server-side apply, owned by the
 * KafkaCluster so deletion cascades), read the broker pods and the cluster's own Metadata,
 * take at most one rolling-restart step (roll.ts), and write the status (cluster-status.ts).
 * Every decision is in the pure modules; this file only does the I/O around them.
 */
import type { KubernetesObject, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { parseKafkaCluster, type Condition, type KafkaCluster } from '../api/index.js';
import {
  bootstrapAddress,
  buildClusterResources,
  LABEL_POD_INDEX,
  namespaceOf,
  selectorLabels,
  shortHash,
} from '../builders/index.js';
import type { HandlerResult } from '../runtime/work-queue.js';
import type { ObjectKey } from '../runtime/controller.js';
import { KIND, kubeErrorMessage, type KubeApi } from '../runtime/kube.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { clusterStatus, summarizeMetadata, type MetadataSummary } from './cluster-status.js';
import type { KafkaClients } from './kafka-clients.js';
import { decideRoll, type PodView } from './roll.js';

/** Pod-template annotation: hash of everything in the template, so any change (image, config, resources) rolls. */
export const ANNOTATION_TEMPLATE_HASH = 'strand.dev/template-hash';

export interface ClusterReconcilerDeps {
  readonly kube: KubeApi;
  readonly clients: KafkaClients;
  readonly metrics: OperatorMetrics;
  /** Broker image when spec.image is omitted (the operator's own image). */
  readonly defaultImage: string;
  /** A broker not ready for this long stops a roll with Degraded. */
  readonly stuckAfterMs: number;
  /** Requeue interval while something is in progress. */
  readonly busyRequeueMs?: number;
  readonly now?: () => number;
}

export function selectorString(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function ms(t: string | Date | undefined): number | null {
  if (t === undefined) return null;
  const v = new Date(t).getTime();
  return Number.isNaN(v) ? null : v;
}

/** What the roll and the status need from a broker pod. */
export function podView(p: V1Pod): PodView | null {
  const name = p.metadata?.name ?? '';
  const idx = p.metadata?.labels?.[LABEL_POD_INDEX] ?? /-(\d+)$/.exec(name)?.[1];
  if (idx === undefined) return null;
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
  const isReady = ready?.status === 'True';
  return {
    ordinal: Number(idx),
    name,
    ready: isReady,
    terminating: p.metadata?.deletionTimestamp !== undefined && p.metadata.deletionTimestamp !== null,
    notReadySinceMs: isReady ? null : ms(ready?.lastTransitionTime) ?? ms(p.metadata?.creationTimestamp),
    templateHash: p.metadata?.annotations?.[ANNOTATION_TEMPLATE_HASH] ?? null,
  };
}

/** Stamps the template hash on the broker StatefulSet's pod template; returns the hash. */
function stampTemplateHash(sts: V1StatefulSet): string {
  const template = sts.spec?.template;
  if (template === undefined) return '';
  const hash = shortHash(JSON.stringify(template));
  template.metadata = { ...template.metadata, annotations: { ...template.metadata?.annotations, [ANNOTATION_TEMPLATE_HASH]: hash } };
  return hash;
}

function sameStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class ClusterReconciler {
  private serviceMonitorCrd: { value: boolean; at: number } | null = null;

  constructor(private readonly deps: ClusterReconcilerDeps) {}

  async reconcile(key: ObjectKey, log: Logger): Promise<HandlerResult | void> {
    const { kube } = this.deps;
    const now = this.deps.now ?? Date.now;
    const raw = await kube.get<KubernetesObject & { status?: { conditions?: Condition[] } }>(KIND.KafkaCluster, key.namespace, key.name);
    if (raw === null) {
      // Deleted: owned objects go with it (owner references); forget the Kafka connection.
      await this.deps.clients.drop(key.namespace, key.name);
      return;
    }
    if (raw.metadata?.deletionTimestamp) return;
    const previous = raw.status?.conditions ?? [];
    const generation = raw.metadata?.generation ?? 0;
    const parsed = parseKafkaCluster(raw);
    if (!parsed.ok) {
      await this.writeStatus(key, raw, {
        observedGeneration: generation,
        phase: 'Degraded',
        conditions: invalidConditions(parsed.error, generation, previous, new Date(now())),
      });
      log.warn({ error: parsed.error }, 'invalid KafkaCluster spec');
      return;
    }
    const c = parsed.value;

    // 1. Owned objects, in the builders' order (config and Services before the pods).
    const objects = buildClusterResources(c, { defaultImage: this.deps.defaultImage, serviceMonitorCrdInstalled: await this.serviceMonitorInstalled(c) });
    let desiredHash = '';
    let applyProblem: { reason: string; message: string } | undefined;
    for (const obj of objects) {
      if (obj.kind === 'StatefulSet' && obj.metadata?.name === `${c.metadata.name}-broker`) desiredHash = stampTemplateHash(obj as V1StatefulSet);
      try {
        await kube.apply(obj as KubernetesObject);
      } catch (err) {
        applyProblem = { reason: 'ApplyFailed', message: `${obj.kind} ${obj.metadata?.name ?? ''}: ${kubeErrorMessage(err)}` };
        log.warn({ kind: obj.kind, name: obj.metadata?.name, error: applyProblem.message }, 'apply failed');
        break;
      }
    }

    // 2. What is running: broker pods and the cluster's own view.
    const podList = await kube.list<V1Pod>(KIND.Pod, namespaceOf(c), selectorString(selectorLabels(c.metadata.name, 'broker')));
    const pods = podList.items.map(podView).filter((p): p is PodView => p !== null);
    const metadata = await this.readMetadata(c, log);

    // 3. At most one roll step.
    const roll = decideRoll({
      replicas: c.spec.replicas,
      desiredHash,
      pods,
      controllerId: metadata?.controllerId ?? null,
      underReplicated: metadata?.underReplicated ?? null,
      now: now(),
      stuckAfterMs: this.deps.stuckAfterMs,
    });
    if (roll.action === 'restart' && applyProblem === undefined) {
      log.info({ broker: roll.ordinal, pod: roll.podName, remaining: roll.stale }, 'rolling restart: deleting broker pod');
      await kube.delete(KIND.Pod, namespaceOf(c), roll.podName);
      this.deps.metrics.rollingRestarts.inc({ cluster: `${namespaceOf(c)}/${c.metadata.name}` });
    } else if (roll.action === 'stuck') {
      log.warn({ broker: roll.ordinal, reason: roll.reason }, 'rolling restart stopped');
    }

    // 4. Status.
    const status = clusterStatus({
      generation,
      replicas: c.spec.replicas,
      pods,
      desiredHash,
      metadata,
      roll,
      bootstrap: bootstrapAddress(c),
      ...(applyProblem && { problem: applyProblem }),
      previous,
      now: new Date(now()),
    });
    await this.writeStatus(key, raw, status);
    const busy = status.phase !== 'Running' || roll.action !== 'idle';
    return { requeueAfterMs: busy ? this.deps.busyRequeueMs ?? 2000 : 30_000 };
  }

  private async writeStatus(key: ObjectKey, raw: { status?: unknown }, status: object): Promise<void> {
    if (sameStatus(raw.status, status)) return;
    await this.deps.kube.patchStatus(KIND.KafkaCluster, key.namespace, key.name, status);
  }

  private async readMetadata(c: KafkaCluster, log: Logger): Promise<MetadataSummary | null> {
    try {
      const client = this.deps.clients.forCluster(c);
      const md = await client.metadata(null, { deadlineMs: 5000 });
      return summarizeMetadata(md);
    } catch (err) {
      log.debug({ error: kubeErrorMessage(err) }, 'cluster metadata unavailable');
      return null;
    }
  }

  private async serviceMonitorInstalled(c: KafkaCluster): Promise<boolean> {
    if (!c.spec.metrics.serviceMonitor) return false;
    const cached = this.serviceMonitorCrd;
    if (cached && Date.now() - cached.at < 5 * 60_000) return cached.value;
    const value = await this.deps.kube.serves('monitoring.coreos.com/v1', 'ServiceMonitor');
    this.serviceMonitorCrd = { value, at: Date.now() };
    return value;
  }
}

function invalidConditions(message: string, generation: number, previous: readonly Condition[], now: Date): Condition[] {
  const mk = (type: string, status: 'True' | 'False', reason: string, msg: string): Condition => {
    const prev = previous.find((p) => p.type === type);
    return { type, status, observedGeneration: generation, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now.toISOString(), reason, message: msg };
  };
  return [mk('Ready', 'False', 'InvalidSpec', message), mk('Progressing', 'False', 'InvalidSpec', message), mk('Degraded', 'True', 'InvalidSpec', message)];
}
