/**
 * planRebalance: current assignment + brokers wanted -> a plan (see README.md). Pure and
 * deterministic: no clock, no randomness, every scan in sorted order.
 */
import { balanceBytes, balanceReplicas, bytesWithin, fixHardGoals } from './goals.js';
import { balanceLeaders } from './leaders.js';
import { WorkState, type WorkPartition } from './state.js';
import { summarize } from './summary.js';
import { DEFAULT_THRESHOLDS, type LeaderChange, type PlannedMove, type PlannerInput, type PlanRefusal, type PlanResult } from './types.js';

/** Why the input cannot be planned, or null. */
export function validate(input: PlannerInput): PlanRefusal | null {
  const ids = input.brokers.map((b) => b.id);
  if (new Set(ids).size !== ids.length) return { code: 'InvalidInput', message: 'duplicate broker ids', topics: [] };
  const t = input.thresholds ?? DEFAULT_THRESHOLDS;
  if (!(t.replicaCount >= 0 && t.leaderCount >= 0 && t.bytesRatio >= 0)) {
    return { code: 'InvalidInput', message: 'thresholds must be >= 0', topics: [] };
  }
  const removed = new Set(input.removeBrokers);
  const kept = ids.filter((id) => !removed.has(id)).length;
  const bad: string[] = [];
  const tooWide = new Map<string, number>();
  for (const topic of input.topics) {
    for (const p of topic.partitions) {
      if (p.replicas.length === 0 || !(p.sizeBytes >= 0) || !Number.isFinite(p.sizeBytes)) bad.push(topic.name);
      if (p.replicas.length > kept) tooWide.set(topic.name, Math.max(tooWide.get(topic.name) ?? 0, p.replicas.length));
    }
    if (new Set(topic.partitions.map((p) => p.partition)).size !== topic.partitions.length) bad.push(topic.name);
  }
  if (new Set(input.topics.map((t) => t.name)).size !== input.topics.length) bad.push('(duplicate topic names)');
  if (bad.length > 0) {
    const topics = [...new Set(bad)].sort();
    return { code: 'InvalidInput', message: `empty replica lists, bad sizes or duplicate partitions in: ${topics.join(', ')}`, topics };
  }
  if (tooWide.size > 0) {
    const topics = [...tooWide.keys()].sort();
    const need = Math.max(...tooWide.values());
    return {
      code: 'NotEnoughBrokers',
      message: `${kept} broker(s) would remain but ${topics.join(', ')} need${topics.length === 1 ? 's' : ''} replication factor up to ${need}: keep at least ${need} brokers or lower the replication factor first`,
      topics,
    };
  }
  return null;
}

/**
 * Split one partition's change into steps that each replace at most max(1, RF - minISR)
 * replicas, so at least min(RF, minISR) replicas of the previous step stay in the set
 * through every step (see README.md, "Min ISR"). The last step also carries the final order.
 */
function movesFor(p: WorkPartition): PlannedMove[] {
  const o = p.original;
  const f = p.replicas;
  const finalSet = new Set(f);
  const origSet = new Set(o);
  const outPositions = o.map((b, i) => (!finalSet.has(b) || o.indexOf(b) !== i ? i : -1)).filter((i) => i >= 0);
  const ins = f.filter((b) => !origSet.has(b));
  if (ins.length === 0) return [];
  const per = Math.max(1, o.length - p.minIsr);
  const steps = Math.ceil(ins.length / per);
  const moves: PlannedMove[] = [];
  let cur = [...o];
  for (let s = 0; s < steps; s++) {
    let next = [...cur];
    if (s === steps - 1) next = [...f];
    else for (let k = s * per; k < (s + 1) * per; k++) next[outPositions[k] ?? -1] = ins[k] ?? -1;
    const adding = next.filter((b) => !cur.includes(b));
    const removing = cur.filter((b) => !next.includes(b));
    moves.push({ topic: p.topic, partition: p.partition, from: cur, to: next, adding, removing, bytes: p.size * adding.length, step: s + 1, steps });
    cur = next;
  }
  return moves;
}

export function planRebalance(input: PlannerInput): PlanResult {
  const refusal = validate(input);
  if (refusal) return { ok: false, refusal };
  const thresholds = input.thresholds ?? DEFAULT_THRESHOLDS;
  const removed = new Set(input.removeBrokers);
  const s = new WorkState(input, thresholds);
  const before = summarize(input.brokers, removed, s.partitions.map((p) => ({ replicas: p.original, size: p.size })), thresholds, 'all');

  const unmetGoals: string[] = [];
  const stuck = fixHardGoals(s);
  if (stuck.length > 0) unmetGoals.push(`hard goals: no valid broker for ${stuck.map((p) => `${p.topic}-${p.partition}`).join(', ')}`);
  if (!balanceReplicas(s)) unmetGoals.push('replica count: rack and distinct-broker goals block the remaining moves');
  balanceBytes(s);
  if (!bytesWithin(s)) unmetGoals.push('bytes: no single move or swap brings bytes closer to the threshold');
  if (!balanceLeaders(s)) unmetGoals.push('leader count: the replica sets do not allow a more even leadership');

  const moves = s.partitions.flatMap(movesFor);
  const leaderChanges: LeaderChange[] = [];
  for (const p of s.partitions) {
    const to = p.replicas[0] ?? -1;
    if (to === p.leader) continue;
    const sameSet = p.original.length === p.replicas.length && p.replicas.every((b) => p.original.includes(b));
    const reordered = sameSet && p.replicas.some((b, i) => p.original[i] !== b);
    leaderChanges.push({ topic: p.topic, partition: p.partition, fromLeader: p.leader, toLeader: to, replicas: [...p.replicas], reorderOnly: reordered });
  }
  const target = new Map<string, Map<number, readonly number[]>>();
  for (const p of s.partitions) {
    const m = target.get(p.topic) ?? new Map<number, readonly number[]>();
    m.set(p.partition, [...p.replicas]);
    target.set(p.topic, m);
  }
  const after = summarize(input.brokers, removed, s.partitions.map((p) => ({ replicas: p.replicas, size: p.size })), thresholds, 'kept');
  return {
    ok: true,
    plan: {
      moves,
      leaderChanges,
      replicasMoved: moves.reduce((n, m) => n + m.adding.length, 0),
      bytesMoved: moves.reduce((n, m) => n + m.bytes, 0),
      before,
      after,
      target,
      unmetGoals,
    },
  };
}
