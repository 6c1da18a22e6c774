/**
 * Admin calls: topics, partitions, configs, reassignments, leader elections, cluster
 * description. Topic/partition changes go to the controller (NOT_CONTROLLER refreshes
 * metadata and retries); broker-scoped configs go to that broker; the rest to any broker.
 *
 * Results are returned per item with their error codes (one bad topic does not fail the
 * others); only top-level errors, and per-item NOT_CONTROLLER, throw.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { ApiDefinition } from '../protocol/schema-types.js';
import { AlterPartitionReassignments, type AlterPartitionReassignmentsResponse } from '../protocol/messages/alter-partition-reassignments.js';
import { CreatePartitions, type CreatePartitionsResponse, type CreatePartitionsTopicResult } from '../protocol/messages/create-partitions.js';
import { CreateTopics, type CreatableTopicResult, type CreateTopicsResponse } from '../protocol/messages/create-topics.js';
import { DeleteTopics, type DeletableTopicResult, type DeleteTopicsResponse } from '../protocol/messages/delete-topics.js';
import { DescribeCluster, type DescribeClusterResponse } from '../protocol/messages/describe-cluster.js';
import { ConfigResourceType, DescribeConfigs, type DescribeConfigsResponse, type DescribeConfigsResult } from '../protocol/messages/describe-configs.js';
import { ElectionType, ElectLeaders, type ElectLeadersResponse, type ReplicaElectionResult } from '../protocol/messages/elect-leaders.js';
import {
  IncrementalAlterConfigs,
  type IncrementalAlterConfigsResourceResponse,
  type IncrementalAlterConfigsResponse,
} from '../protocol/messages/incremental-alter-configs.js';
import { ListPartitionReassignments, type ListPartitionReassignmentsResponse, type OngoingTopicReassignment } from '../protocol/messages/list-partition-reassignments.js';
import { DataCalls } from './data.js';
import { UnsupportedApiError } from './errors.js';
import type { CallOptions, Target } from './router.js';

export interface NewTopic {
  readonly name: string;
  /** -1 (default) = the broker's num.partitions. */
  readonly numPartitions?: number;
  /** -1 (default) = the broker's default.replication.factor. */
  readonly replicationFactor?: number;
  /** Explicit placement: replicas per partition (then numPartitions/replicationFactor must be -1). */
  readonly assignments?: ReadonlyArray<{ readonly partition: number; readonly brokers: readonly number[] }>;
  readonly configs?: Readonly<Record<string, string | null>>;
}

export interface TopicChangeOptions extends CallOptions {
  /** How long the controller may take (sent in the request; default 30 s). */
  readonly timeoutMs?: number;
  readonly validateOnly?: boolean;
}

export interface NewPartitions {
  readonly topic: string;
  /** The new total partition count. */
  readonly count: number;
  /** Replicas of each new partition, or null/omitted to let the controller place them. */
  readonly assignments?: ReadonlyArray<readonly number[]> | null;
}

export interface ConfigResource {
  /** ConfigResourceType: TOPIC (2), BROKER (4), ... */
  readonly type: number;
  readonly name: string;
}

export interface DescribeConfigsOptions extends CallOptions {
  readonly includeSynonyms?: boolean;
  readonly includeDocumentation?: boolean;
}

export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';
const CONFIG_OPS: Readonly<Record<ConfigOp, number>> = { set: 0, delete: 1, append: 2, subtract: 3 };

export interface AlterConfigsResource extends ConfigResource {
  readonly ops: ReadonlyArray<{ readonly name: string; readonly op: ConfigOp; readonly value?: string | null }>;
}

export interface Reassignment {
  readonly topic: string;
  readonly partition: number;
  /** Target replicas, or null to cancel the partition's ongoing reassignment. */
  readonly replicas: readonly number[] | null;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

const BROKER_SCOPED: ReadonlySet<number> = new Set([ConfigResourceType.BROKER, ConfigResourceType.BROKER_LOGGER]);

/** Groups items by topic, keeping first-seen order. */
function byTopic<T extends { readonly topic: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const list = m.get(it.topic);
    if (list === undefined) m.set(it.topic, [it]);
    else list.push(it);
  }
  return m;
}

/** Broker-scoped config resources go to that broker; the rest to any broker. */
function configTarget(r: ConfigResource): Target {
  if (BROKER_SCOPED.has(r.type as 4 | 8) && /^\d+$/.test(r.name)) return { kind: 'broker', brokerId: Number(r.name) };
  return { kind: 'any' };
}

function throwIfNotController(errorCodes: Iterable<number>, api: string): void {
  for (const c of errorCodes) if (c === ErrorCode.NOT_CONTROLLER) throw new KafkaError(c, `${api}: not the controller`);
}

function throwTopLevel(api: string, code: number, message: string | null): void {
  if (code !== ErrorCode.NONE) throw new KafkaError(code, `${api}: ${message ?? ''} (error ${code})`);
}

export abstract class AdminCalls extends DataCalls {
  /** Forgets cached routing for a deleted topic. */
  protected abstract forgetTopic(name: string): void;

  /** One call to the controller; `build` makes the body for the negotiated version. */
  private controllerCall<Res>(api: ApiDefinition, opts: CallOptions & { timeoutMs?: number }, build: (version: number) => object): Promise<Res> {
    const extra = opts.timeoutMs ?? 30_000;
    return this.router.call(api.name, { kind: 'controller' }, { ...opts, retryAfterSend: true, extraTimeoutMs: extra }, async ({ conn, versions, timeoutMs }) => {
      const version = versions.pick(api);
      return conn.request<Res>(api, version, build(version), { timeoutMs });
    });
  }

  /** Creates topics. A retry after a lost response can report TOPIC_ALREADY_EXISTS for a topic this call created. */
  async createTopics(topics: readonly NewTopic[], opts: TopicChangeOptions = {}): Promise<CreatableTopicResult[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const body = {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? -1,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: (t.assignments ?? []).map((a) => ({ partitionIndex: a.partition, brokerIds: [...a.brokers] })),
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    };
    const res = await this.controllerCall<CreateTopicsResponse>(CreateTopics, { ...opts, timeoutMs }, () => body);
    throwIfNotController(res.topics.map((t) => t.errorCode), 'CreateTopics');
    return res.topics;
  }

  async deleteTopics(names: readonly string[], opts: { timeoutMs?: number } & CallOptions = {}): Promise<DeletableTopicResult[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const res = await this.controllerCall<DeleteTopicsResponse>(DeleteTopics, { ...opts, timeoutMs }, (v) =>
      // v6 names topics in a struct (name or id); earlier versions take a plain list.
      v >= 6 ? { topics: names.map((name) => ({ name })), timeoutMs } : { topicNames: [...names], timeoutMs },
    );
    throwIfNotController(res.responses.map((r) => r.errorCode), 'DeleteTopics');
    for (const r of res.responses) if (r.name !== null && r.errorCode === ErrorCode.NONE) this.forgetTopic(r.name);
    return res.responses;
  }

  async createPartitions(topics: readonly NewPartitions[], opts: TopicChangeOptions = {}): Promise<CreatePartitionsTopicResult[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const body = {
      topics: topics.map((t) => ({
        name: t.topic,
        count: t.count,
        assignments: t.assignments == null ? null : t.assignments.map((b) => ({ brokerIds: [...b] })),
      })),
      timeoutMs,
      validateOnly: opts.validateOnly ?? false,
    };
    const res = await this.controllerCall<CreatePartitionsResponse>(CreatePartitions, { ...opts, timeoutMs }, () => body);
    throwIfNotController(res.results.map((r) => r.errorCode), 'CreatePartitions');
    for (const t of topics) this.forgetTopic(t.topic); // partition count changed: re-learn routing
    return res.results;
  }

  /** Describes configs; `keys` null/omitted = all. Results follow the input order. */
  async describeConfigs(
    resources: ReadonlyArray<ConfigResource & { readonly keys?: readonly string[] | null }>,
    opts: DescribeConfigsOptions = {},
  ): Promise<DescribeConfigsResult[]> {
    const groups = this.groupByTarget(resources);
    const parts = await Promise.all(
      groups.map(({ target, items }) =>
        this.router.call('DescribeConfigs', target, { ...opts, retryAfterSend: true }, async ({ conn, versions, timeoutMs }) => {
          const version = versions.pick(DescribeConfigs);
          const body = {
            resources: items.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys == null ? null : [...r.keys] })),
            includeSynonyms: version >= 1 && opts.includeSynonyms === true,
            includeDocumentation: version >= 3 && opts.includeDocumentation === true,
          };
          const res = await conn.request<DescribeConfigsResponse>(DescribeConfigs, version, body, { timeoutMs });
          return res.results;
        }),
      ),
    );
    return reorder(resources, parts.flat(), (r) => `${r.resourceType}/${r.resourceName}`);
  }

  /** Incremental config changes (set / delete / append / subtract). Results follow the input order. */
  async incrementalAlterConfigs(
    resources: readonly AlterConfigsResource[],
    opts: CallOptions & { validateOnly?: boolean } = {},
  ): Promise<IncrementalAlterConfigsResourceResponse[]> {
    const groups = this.groupByTarget(resources);
    const parts = await Promise.all(
      groups.map(({ target, items }) =>
        this.router.call('IncrementalAlterConfigs', target, { ...opts, retryAfterSend: true }, async ({ conn, versions, timeoutMs }) => {
          const version = versions.pick(IncrementalAlterConfigs);
          const body = {
            resources: items.map((r) => ({
              resourceType: r.type,
              resourceName: r.name,
              configs: r.ops.map((o) => ({ name: o.name, configOperation: CONFIG_OPS[o.op], value: o.value ?? null })),
            })),
            validateOnly: opts.validateOnly ?? false,
          };
          const res = await conn.request<IncrementalAlterConfigsResponse>(IncrementalAlterConfigs, version, body, { timeoutMs });
          return res.responses;
        }),
      ),
    );
    return reorder(resources, parts.flat(), (r) => `${r.resourceType}/${r.resourceName}`);
  }

  /** Starts (or, with replicas null, cancels) partition reassignments. */
  async alterPartitionReassignments(
    reassignments: readonly Reassignment[],
    opts: CallOptions & { timeoutMs?: number; allowReplicationFactorChange?: boolean } = {},
  ): Promise<AlterPartitionReassignmentsResponse> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const allow = opts.allowReplicationFactorChange ?? true;
    const topics = [...byTopic(reassignments)].map(([name, items]) => ({
      name,
      partitions: items.map((r) => ({ partitionIndex: r.partition, replicas: r.replicas === null ? null : [...r.replicas] })),
    }));
    const res = await this.controllerCall<AlterPartitionReassignmentsResponse>(AlterPartitionReassignments, { ...opts, timeoutMs }, (v) => {
      if (!allow && v < 1) {
        throw new UnsupportedApiError(AlterPartitionReassignments.name, AlterPartitionReassignments.apiKey, 'allowReplicationFactorChange=false needs v1');
      }
      return { timeoutMs, ...(v >= 1 && { allowReplicationFactorChange: allow }), topics };
    });
    throwTopLevel('AlterPartitionReassignments', res.errorCode, res.errorMessage);
    return res;
  }

  /** Ongoing reassignments, for the given partitions or (null/omitted) all. */
  async listPartitionReassignments(
    partitions: readonly TopicPartition[] | null = null,
    opts: CallOptions & { timeoutMs?: number } = {},
  ): Promise<OngoingTopicReassignment[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const topics = partitions === null ? null : [...byTopic(partitions)].map(([name, items]) => ({ name, partitionIndexes: items.map((p) => p.partition) }));
    const res = await this.controllerCall<ListPartitionReassignmentsResponse>(ListPartitionReassignments, { ...opts, timeoutMs }, () => ({ timeoutMs, topics }));
    throwTopLevel('ListPartitionReassignments', res.errorCode, res.errorMessage);
    return res.topics;
  }

  /** Preferred (0) or unclean (1) leader election, for the given partitions or (null) all. */
  async electLeaders(
    electionType: number,
    partitions: readonly TopicPartition[] | null,
    opts: CallOptions & { timeoutMs?: number } = {},
  ): Promise<ReplicaElectionResult[]> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const topicPartitions = partitions === null ? null : [...byTopic(partitions)].map(([topic, items]) => ({ topic, partitions: items.map((p) => p.partition) }));
    const res = await this.controllerCall<ElectLeadersResponse>(ElectLeaders, { ...opts, timeoutMs }, (v) => {
      // v0 has no election type: it would silently run a preferred election.
      if (v < 1 && electionType !== ElectionType.PREFERRED) {
        throw new UnsupportedApiError(ElectLeaders.name, ElectLeaders.apiKey, 'unclean election needs v1');
      }
      return { electionType: v >= 1 ? electionType : 0, topicPartitions, timeoutMs };
    });
    throwTopLevel('ElectLeaders', res.errorCode, null);
    return res.replicaElectionResults;
  }

  async describeCluster(opts: CallOptions = {}): Promise<DescribeClusterResponse> {
    const res = await this.router.call('DescribeCluster', { kind: 'any' }, { ...opts, retryAfterSend: true }, async ({ conn, versions, timeoutMs }) => {
      const version = versions.pick(DescribeCluster);
      return conn.request<DescribeClusterResponse>(DescribeCluster, version, { includeClusterAuthorizedOperations: false }, { timeoutMs });
    });
    throwTopLevel('DescribeCluster', res.errorCode, res.errorMessage);
    return res;
  }

  private groupByTarget<R extends ConfigResource>(resources: readonly R[]): Array<{ target: Target; items: R[] }> {
    const groups = new Map<string, { target: Target; items: R[] }>();
    for (const r of resources) {
      const target = configTarget(r);
      const key = target.kind === 'broker' ? `b${target.brokerId}` : 'any';
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { target, items: [r] });
      else g.items.push(r);
    }
    return [...groups.values()];
  }
}

/** Puts results back in the order of the resources they answer (matched by type/name). */
function reorder<T>(resources: readonly ConfigResource[], results: T[], keyOf: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const r of results) m.set(keyOf(r), r);
  const out: T[] = [];
  for (const r of resources) {
    const hit = m.get(`${r.type}/${r.name}`);
    if (hit !== undefined) out.push(hit);
  }
  return out;
}
