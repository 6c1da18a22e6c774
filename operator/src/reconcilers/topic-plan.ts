/**
 * Topic reconciliation as a pure diff: desired (the Topic spec) vs observed (Metadata,
 * DescribeConfigs, ongoing reassignments) -> admin actions, or problems that make the request
 * impossible (then nothing is changed and the Ready condition says why).
 *
 * Placement is the shared rack-aware, leader-balanced `placeReplicas` (the broker's own
 * controller uses it too), seeded from the topic name so a plan is reproducible.
 */
import { createHash } from 'node:crypto';
import { placeReplicas, type PlacementBroker, type PlacementOptions } from '../../../broker/src/cluster/placement.js';

export interface DesiredTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface ObservedPartition {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly leader: number;
  readonly isr: readonly number[];
}

export interface ObservedTopic {
  readonly topicId: string;
  readonly partitions: readonly ObservedPartition[];
  /** Configs set on the topic itself (DescribeConfigs source DYNAMIC_TOPIC_CONFIG). */
  readonly configs: Readonly<Record<string, string>>;
  /** Partitions with a reassignment in progress. */
  readonly reassigning: readonly number[];
}

export type TopicAction =
  | { readonly kind: 'create'; readonly assignments: number[][]; readonly configs: Readonly<Record<string, string>> }
  | { readonly kind: 'createPartitions'; readonly count: number; readonly assignments: number[][] }
  | { readonly kind: 'alterConfigs'; readonly set: Readonly<Record<string, string>>; readonly delete: readonly string[] }
  | { readonly kind: 'reassign'; readonly partitions: ReadonlyArray<{ readonly partition: number; readonly replicas: number[] }> };

export interface TopicProblem {
  readonly reason: 'PartitionsDecreaseNotAllowed' | 'ReplicationFactorTooHigh';
  readonly message: string;
}

export interface TopicPlan {
  readonly actions: readonly TopicAction[];
  readonly problems: readonly TopicProblem[];
  /** A reassignment is still running: look again soon. */
  readonly waiting: boolean;
}

/** Deterministic placement seed for a topic (start broker and follower shift). */
export function placementSeed(topic: string, brokers: number): PlacementOptions {
  const h = createHash('sha256').update(topic).digest();
  const n = Math.max(1, brokers);
  return { startIndex: h.readUInt32BE(0) % n, replicaShift: h.readUInt32BE(4) % n };
}

/**
 * Replicas for a partition changing replication factor: growing keeps every current replica
 * and adds brokers on racks the partition does not use yet, then the least loaded; shrinking
 * keeps the leader and drops replicas from the end. Pure.
 */
export function resizeReplicas(
  current: readonly number[],
  leader: number,
  rf: number,
  brokers: readonly PlacementBroker[],
  load: ReadonlyMap<number, number>,
): number[] {
  if (rf <= current.length) {
    const keep = current.includes(leader) ? [leader, ...current.filter((r) => r !== leader)] : [...current];
    return keep.slice(0, rf);
  }
  const out = [...current];
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
  while (out.length < rf) {
    const usedRacks = new Set(out.map((r) => rackOf.get(r) ?? null));
    const candidates = brokers
      .filter((b) => !out.includes(b.id))
      .sort((a, b) => {
        const ra = usedRacks.has(a.rack) ? 1 : 0;
        const rb = usedRacks.has(b.rack) ? 1 : 0;
        return ra - rb || (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.id - b.id;
      });
    const pick = candidates[0];
    if (pick === undefined) break;
    out.push(pick.id);
  }
  return out;
}

export function planTopic(desired: DesiredTopic, observed: ObservedTopic | null, brokers: readonly PlacementBroker[]): TopicPlan {
  const problems: TopicProblem[] = [];
  // RF vs registered brokers matters only when replicas must be placed: a broker restarting
  // during a roll must not make an existing, unchanged topic look impossible.
  const placing = observed === null || observed.partitions.some((p) => p.replicas.length !== desired.replicationFactor) || desired.partitions > observed.partitions.length;
  if (placing && desired.replicationFactor > brokers.length) {
    problems.push({
      reason: 'ReplicationFactorTooHigh',
      message: `replicationFactor ${desired.replicationFactor} is more than the ${brokers.length} broker(s) registered`,
    });
  }
  if (observed !== null && desired.partitions < observed.partitions.length) {
    problems.push({
      reason: 'PartitionsDecreaseNotAllowed',
      message: `the topic has ${observed.partitions.length} partitions; Kafka cannot remove partitions (spec asks for ${desired.partitions})`,
    });
  }
  if (problems.length > 0) return { actions: [], problems, waiting: false };

  const seed = placementSeed(desired.name, brokers.length);
  if (observed === null) {
    const assignments = placeReplicas(brokers, desired.partitions, desired.replicationFactor, seed);
    return { actions: [{ kind: 'create', assignments, configs: desired.config }], problems, waiting: false };
  }

  const actions: TopicAction[] = [];
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(desired.config)) if (observed.configs[k] !== v) set[k] = v;
  const del = Object.keys(observed.configs).filter((k) => !(k in desired.config));
  if (Object.keys(set).length > 0 || del.length > 0) actions.push({ kind: 'alterConfigs', set, delete: del });

  const current = observed.partitions.length;
  if (desired.partitions > current) {
    const assignments = placeReplicas(brokers, desired.partitions - current, desired.replicationFactor, { ...seed, startPartition: current });
    actions.push({ kind: 'createPartitions', count: desired.partitions, assignments });
  }

  // Replication factor: one reassignment per partition whose replica count differs and which
  // is not already moving (its replica list is then a union of old and new).
  const load = new Map<number, number>();
  for (const p of observed.partitions) for (const r of p.replicas) load.set(r, (load.get(r) ?? 0) + 1);
  const moves: Array<{ partition: number; replicas: number[] }> = [];
  for (const p of observed.partitions) {
    if (observed.reassigning.includes(p.partition) || p.replicas.length === desired.replicationFactor) continue;
    const target = resizeReplicas(p.replicas, p.leader, desired.replicationFactor, brokers, load);
    for (const r of target) if (!p.replicas.includes(r)) load.set(r, (load.get(r) ?? 0) + 1);
    moves.push({ partition: p.partition, replicas: target });
  }
  if (moves.length > 0) actions.push({ kind: 'reassign', partitions: moves });
  return { actions, problems, waiting: observed.reassigning.length > 0 };
}

/** Kafka prints topic ids as unpadded base64url of the 16 UUID bytes; Metadata gives hex. */
export function topicIdString(hex: string): string {
  if (!/^[0-9a-f]{32}$/i.test(hex)) return hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}
