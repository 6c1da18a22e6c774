/**
 * Topic reconciler: a Topic resource -> the topic in its KafkaCluster, through the Kafka
 * admin protocol (our own client). Observe (Metadata, DescribeConfigs, ongoing
 * reassignments) -> plan (topic-plan.ts, pure) -> act -> status. A finalizer makes deletion
 * honour deletionPolicy. The periodic resync re-runs this, so a config changed behind the
 * operator's back (an admin client) is set back to the spec.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KafkaClient } from '../../../broker/src/client/index.js';
import { ErrorCode, errorName } from '../../../broker/src/protocol/errors.js';
import { ConfigResourceType } from '../../../broker/src/protocol/messages/describe-configs.js';
import { kafkaTopicName, parseKafkaCluster, parseTopic, type Condition, type Topic, type TopicStatus } from '../api/index.js';
import type { ObjectKey } from '../runtime/controller.js';
import { KIND, kubeErrorMessage, type KubeApi } from '../runtime/kube.js';
import type { HandlerResult } from '../runtime/work-queue.js';
import type { KafkaClients } from './kafka-clients.js';
import { planTopic, topicIdString, type DesiredTopic, type ObservedTopic, type TopicAction } from './topic-plan.js';

export const TOPIC_FINALIZER = 'strand.dev/topic-deletion';
/** DescribeConfigs configSource for a config set on the topic itself. */
const DYNAMIC_TOPIC_CONFIG = 1;

export interface TopicReconcilerDeps {
  readonly kube: KubeApi;
  readonly clients: KafkaClients;
  readonly busyRequeueMs?: number;
  readonly now?: () => number;
}

type RawTopic = KubernetesObject & { status?: TopicStatus };

class KafkaCallError extends Error {}

function check(what: string, code: number, message: string | null, okCodes: readonly number[] = []): void {
  if (code === ErrorCode.NONE || okCodes.includes(code)) return;
  throw new KafkaCallError(`${what}: ${errorName(code)}${message ? ` (${message})` : ''}`);
}

export function desiredTopic(t: Topic): DesiredTopic {
  return {
    name: kafkaTopicName(t),
    partitions: t.spec.partitions,
    replicationFactor: t.spec.replicationFactor,
    config: Object.fromEntries(Object.entries(t.spec.config).map(([k, v]) => [k, String(v)])),
  };
}

export class TopicReconciler {
  constructor(private readonly deps: TopicReconcilerDeps) {}

  async reconcile(key: ObjectKey, log: Logger): Promise<HandlerResult | void> {
    const { kube } = this.deps;
    const raw = await kube.get<RawTopic>(KIND.Topic, key.namespace, key.name);
    if (raw === null) return;
    const generation = raw.metadata?.generation ?? 0;
    const previous = raw.status?.conditions ?? [];
    const finalizers = raw.metadata?.finalizers ?? [];
    const parsed = parseTopic(raw);
    const clusterName = parsed.ok ? parsed.value.spec.clusterRef : null;
    const clusterRaw = clusterName === null ? null : await kube.get<KubernetesObject>(KIND.KafkaCluster, key.namespace, clusterName);
    const cluster = clusterRaw === null ? null : parseKafkaCluster(clusterRaw);
    const clusterUsable = cluster?.ok === true && !clusterRaw?.metadata?.deletionTimestamp ? cluster.value : null;

    if (raw.metadata?.deletionTimestamp) {
      if (!finalizers.includes(TOPIC_FINALIZER)) return;
      // A cluster that is gone (or going) has no topic left to delete: just let go.
      if (parsed.ok && parsed.value.spec.deletionPolicy === 'Delete' && clusterUsable !== null) {
        const name = kafkaTopicName(parsed.value);
        const [res] = await this.deps.clients.forCluster(clusterUsable).deleteTopics([name]);
        if (res) check(`DeleteTopics ${name}`, res.errorCode, res.errorMessage, [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
        log.info({ topic: name }, 'topic deleted (deletionPolicy Delete)');
      }
      await kube.patchMetadata(KIND.Topic, key.namespace, key.name, {
        finalizers: finalizers.filter((f) => f !== TOPIC_FINALIZER),
        resourceVersion: raw.metadata.resourceVersion ?? '',
      });
      return;
    }

    const cond = (ok: boolean, reason: string, message: string): Condition[] => {
      const status = ok ? 'True' : 'False';
      const prev = previous.find((c) => c.type === 'Ready');
      const now = new Date((this.deps.now ?? Date.now)()).toISOString();
      return [{ type: 'Ready', status, observedGeneration: generation, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now, reason, message }];
    };
    const write = async (status: TopicStatus): Promise<void> => {
      if (JSON.stringify(raw.status ?? null) === JSON.stringify(status)) return;
      await kube.patchStatus(KIND.Topic, key.namespace, key.name, status);
    };

    if (!parsed.ok) {
      await write({ ...raw.status, observedGeneration: generation, conditions: cond(false, 'InvalidSpec', parsed.error) });
      return;
    }
    if (!finalizers.includes(TOPIC_FINALIZER)) {
      await kube.patchMetadata(KIND.Topic, key.namespace, key.name, { finalizers: [...finalizers, TOPIC_FINALIZER], resourceVersion: raw.metadata?.resourceVersion ?? '' });
    }
    if (clusterUsable === null) {
      const why = cluster === null ? `KafkaCluster ${clusterName ?? ''} not found` : cluster.ok ? `KafkaCluster ${clusterName ?? ''} is being deleted` : `KafkaCluster ${clusterName ?? ''} is invalid`;
      await write({ ...raw.status, observedGeneration: generation, conditions: cond(false, 'ClusterNotFound', why) });
      return { requeueAfterMs: 10_000 };
    }

    const client = this.deps.clients.forCluster(clusterUsable);
    const desired = desiredTopic(parsed.value);
    let observed: ObservedTopic | null;
    let brokers: Array<{ id: number; rack: string | null }>;
    try {
      ({ observed, brokers } = await this.observe(client, desired.name));
    } catch (err) {
      await write({ ...raw.status, observedGeneration: generation, conditions: cond(false, 'ClusterUnavailable', kubeErrorMessage(err)) });
      throw err; // retried with backoff
    }

    const plan = planTopic(desired, observed, brokers);
    if (plan.problems.length > 0) {
      const p = plan.problems[0];
      log.warn({ problems: plan.problems }, 'topic request cannot be applied; topic left as it is');
      await write({ ...this.topicStatus(observed, generation), conditions: cond(false, p?.reason ?? 'Invalid', plan.problems.map((x) => x.message).join('; ')) });
      return;
    }
    try {
      for (const action of plan.actions) {
        log.info({ topic: desired.name, action: action.kind, detail: describeAction(action) }, 'topic change');
        await this.execute(client, desired.name, action);
      }
    } catch (err) {
      await write({ ...this.topicStatus(observed, generation), conditions: cond(false, 'KafkaError', err instanceof Error ? err.message : String(err)) });
      throw err;
    }
    if (plan.actions.length > 0) ({ observed } = await this.observe(client, desired.name));
    const pending = plan.waiting || plan.actions.some((a) => a.kind === 'reassign') || (observed?.reassigning.length ?? 0) > 0;
    await write({
      ...this.topicStatus(observed, generation),
      conditions: pending ? cond(false, 'ReassignmentInProgress', 'replicas are being moved') : cond(true, 'Reconciled', `topic ${desired.name} matches the spec`),
    });
    return pending ? { requeueAfterMs: this.deps.busyRequeueMs ?? 2000 } : undefined;
  }

  private topicStatus(observed: ObservedTopic | null, generation: number): TopicStatus {
    return {
      observedGeneration: generation,
      ...(observed !== null && {
        topicId: topicIdString(observed.topicId),
        partitions: observed.partitions.map((p) => ({ partition: p.partition, replicas: [...p.replicas], leader: p.leader, isr: [...p.isr] })),
      }),
    };
  }

  private async observe(client: KafkaClient, name: string): Promise<{ observed: ObservedTopic | null; brokers: Array<{ id: number; rack: string | null }> }> {
    const md = await client.metadata([name]);
    const brokers = md.brokers.map((b) => ({ id: b.nodeId, rack: b.rack })).sort((a, b) => a.id - b.id);
    const t = md.topics.find((x) => x.name === name);
    if (t === undefined || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return { observed: null, brokers };
    check(`Metadata ${name}`, t.errorCode, null);
    const [cfg] = await client.describeConfigs([{ type: ConfigResourceType.TOPIC, name }]);
    if (cfg) check(`DescribeConfigs ${name}`, cfg.errorCode, cfg.errorMessage);
    const configs: Record<string, string> = {};
    for (const e of cfg?.configs ?? []) if (e.configSource === DYNAMIC_TOPIC_CONFIG && e.value !== null) configs[e.name] = e.value;
    const partitions = [...t.partitions]
      .sort((a, b) => a.partitionIndex - b.partitionIndex)
      .map((p) => ({ partition: p.partitionIndex, replicas: p.replicaNodes, leader: p.leaderId, isr: p.isrNodes }));
    const ongoing = await client.listPartitionReassignments(partitions.map((p) => ({ topic: name, partition: p.partition })));
    const reassigning = ongoing.filter((o) => o.name === name).flatMap((o) => o.partitions.map((p) => p.partitionIndex));
    return { observed: { topicId: t.topicId, partitions, configs, reassigning }, brokers };
  }

  private async execute(client: KafkaClient, name: string, action: TopicAction): Promise<void> {
    switch (action.kind) {
      case 'create': {
        const [r] = await client.createTopics([{ name, assignments: action.assignments.map((brokers, partition) => ({ partition, brokers })), configs: action.configs }]);
        if (r) check(`CreateTopics ${name}`, r.errorCode, r.errorMessage, [ErrorCode.TOPIC_ALREADY_EXISTS]);
        return;
      }
      case 'createPartitions': {
        const [r] = await client.createPartitions([{ topic: name, count: action.count, assignments: action.assignments }]);
        if (r) check(`CreatePartitions ${name}`, r.errorCode, r.errorMessage);
        return;
      }
      case 'alterConfigs': {
        const ops = [
          ...Object.entries(action.set).map(([n, value]) => ({ name: n, op: 'set' as const, value })),
          ...action.delete.map((n) => ({ name: n, op: 'delete' as const })),
        ];
        const [r] = await client.incrementalAlterConfigs([{ type: ConfigResourceType.TOPIC, name, ops }]);
        if (r) check(`IncrementalAlterConfigs ${name}`, r.errorCode, r.errorMessage);
        return;
      }
      case 'reassign': {
        const res = await client.alterPartitionReassignments(action.partitions.map((p) => ({ topic: name, partition: p.partition, replicas: p.replicas })));
        for (const t of res.responses) for (const p of t.partitions) check(`AlterPartitionReassignments ${name}-${p.partitionIndex}`, p.errorCode, p.errorMessage);
        return;
      }
    }
  }
}

function describeAction(a: TopicAction): unknown {
  switch (a.kind) {
    case 'create':
      return { assignments: a.assignments, configs: a.configs };
    case 'createPartitions':
      return { count: a.count, assignments: a.assignments };
    case 'alterConfigs':
      return { set: a.set, delete: a.delete };
    case 'reassign':
      return a.partitions;
  }
}
