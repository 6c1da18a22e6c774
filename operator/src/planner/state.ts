/**
 * The planner's mutable working copy of the assignment, with the per-broker counters the
 * goals read. Only planner internals use it; callers see plain data (types.ts).
 */
import type { PlannerInput, Thresholds } from './types.js';

export interface WorkPartition {
  readonly topic: string;
  readonly partition: number;
  readonly size: number;
  readonly minIsr: number;
  /** The assignment before the plan, for move accounting. */
  readonly original: readonly number[];
  readonly leader: number;
  /** The assignment being built (preference order). */
  replicas: number[];
}

/** [extra replica moves, bytes cost]: compared lexicographically (fewer moves always wins). */
export type Cost = readonly [number, number];

export function cheaper(a: Cost, b: Cost): boolean {
  return a[0] !== b[0] ? a[0] < b[0] : a[1] < b[1];
}

export interface Band {
  readonly lo: number;
  readonly hi: number;
}

/** floor(avg) - t .. ceil(avg) + t: the integer band the count goals aim for. */
export function countBand(total: number, brokers: number, tolerance: number): Band {
  if (brokers === 0) return { lo: 0, hi: 0 };
  return { lo: Math.floor(total / brokers) - tolerance, hi: Math.ceil(total / brokers) + tolerance };
}

export class WorkState {
  /** Brokers that stay, ascending. */
  readonly kept: readonly number[];
  readonly keptSet: ReadonlySet<number>;
  readonly rackOf: ReadonlyMap<number, string>;
  readonly rackAware: boolean;
  readonly partitions: readonly WorkPartition[];
  readonly thresholds: Thresholds;
  /** Replicas per kept broker (replicas on other brokers are not counted: they must leave). */
  readonly count = new Map<number, number>();
  readonly bytes = new Map<number, number>();
  readonly totalReplicas: number;
  readonly totalBytes: number;
  private readonly rackSizes = new Map<string, number>();
  private readonly capMemo = new Map<number, number>();

  constructor(input: PlannerInput, thresholds: Thresholds) {
    this.thresholds = thresholds;
    const removed = new Set(input.removeBrokers);
    this.kept = input.brokers.map((b) => b.id).filter((id) => !removed.has(id)).sort((a, b) => a - b);
    this.keptSet = new Set(this.kept);
    this.rackAware = input.brokers.some((b) => b.rack !== null);
    this.rackOf = new Map(input.brokers.map((b) => [b.id, b.rack ?? '']));
    for (const id of this.kept) {
      const r = this.rackOf.get(id) ?? '';
      this.rackSizes.set(r, (this.rackSizes.get(r) ?? 0) + 1);
      this.count.set(id, 0);
      this.bytes.set(id, 0);
    }
    const parts: WorkPartition[] = [];
    // Sorted so every scan (and thus every tie) is in one fixed order: determinism.
    for (const t of [...input.topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      for (const p of [...t.partitions].sort((a, b) => a.partition - b.partition)) {
        parts.push({
          topic: t.name,
          partition: p.partition,
          size: p.sizeBytes,
          minIsr: t.minInsyncReplicas,
          original: [...p.replicas],
          leader: p.leader,
          replicas: [...p.replicas],
        });
      }
    }
    this.partitions = parts;
    let totalReplicas = 0;
    let totalBytes = 0;
    for (const p of parts) {
      totalReplicas += p.replicas.length;
      totalBytes += p.size * p.replicas.length;
      for (const b of p.replicas) this.add(b, p.size, 1);
    }
    this.totalReplicas = totalReplicas;
    this.totalBytes = totalBytes;
  }

  private add(broker: number, size: number, sign: 1 | -1): void {
    if (!this.keptSet.has(broker)) return;
    this.count.set(broker, (this.count.get(broker) ?? 0) + sign);
    this.bytes.set(broker, (this.bytes.get(broker) ?? 0) + sign * size);
  }

  cnt(b: number): number {
    return this.count.get(b) ?? 0;
  }

  byt(b: number): number {
    return this.bytes.get(b) ?? 0;
  }

  replicaBand(): Band {
    return countBand(this.totalReplicas, this.kept.length, this.thresholds.replicaCount);
  }

  avgBytes(): number {
    return this.kept.length === 0 ? 0 : this.totalBytes / this.kept.length;
  }

  /**
   * Most replicas of one partition one rack may hold: ceil(RF / racks) (1 when RF <= racks,
   * i.e. distinct racks), raised only as far as small racks force it (a rack of one broker
   * can hold one replica however the cap is set).
   */
  rackCap(rf: number): number {
    if (!this.rackAware) return Number.POSITIVE_INFINITY;
    const memo = this.capMemo.get(rf);
    if (memo !== undefined) return memo;
    const sizes = [...this.rackSizes.values()];
    let cap = Math.max(1, Math.ceil(rf / Math.max(1, sizes.length)));
    while (cap < rf && sizes.reduce((s, n) => s + Math.min(n, cap), 0) < rf) cap++;
    this.capMemo.set(rf, cap);
    return cap;
  }

  rack(b: number): string {
    return this.rackOf.get(b) ?? '';
  }

  /** Could `to` take the place of `from` in p without breaking a hard goal? */
  canPlace(p: WorkPartition, from: number, to: number): boolean {
    if (!this.keptSet.has(to) || p.replicas.includes(to)) return false;
    if (!this.rackAware) return true;
    const r = this.rack(to);
    let sameRack = 0;
    let skipped = false;
    for (const b of p.replicas) {
      if (b === from && !skipped) {
        skipped = true;
        continue;
      }
      if (this.rack(b) === r) sameRack++;
    }
    return sameRack < this.rackCap(p.replicas.length);
  }

  /** Index of a replica that breaks a hard goal (off-cluster, duplicate, over its rack cap), or -1. */
  violation(p: WorkPartition): number {
    const seen = new Set<number>();
    const perRack = new Map<string, number>();
    const cap = this.rackCap(p.replicas.length);
    // Earlier positions are kept in preference, so the preferred leader survives when it can.
    for (let i = 0; i < p.replicas.length; i++) {
      const b = p.replicas[i] ?? -1;
      if (!this.keptSet.has(b) || seen.has(b)) return i;
      seen.add(b);
      const r = this.rack(b);
      const n = (perRack.get(r) ?? 0) + 1;
      if (n > cap) return i;
      perRack.set(r, n);
    }
    return -1;
  }

  /**
   * Cost of replacing `from` by `to` in p: first how many more replicas the whole plan copies
   * (moving a replica this plan already added costs nothing extra; moving one back home saves
   * one), then bytes: the bytes copied plus the change in Σ|bytes(b) - avg| over the two
   * brokers. Moving s bytes from a heavy to a light broker lowers that sum by up to 2s, so
   * big partitions win when they fix bytes imbalance and small ones win otherwise.
   */
  cost(p: WorkPartition, from: number, to: number): Cost {
    const moves = (p.original.includes(from) ? 1 : 0) - (p.original.includes(to) ? 1 : 0);
    const avg = this.avgBytes();
    let dev = Math.abs(this.byt(to) + p.size - avg) - Math.abs(this.byt(to) - avg);
    if (this.keptSet.has(from)) dev += Math.abs(this.byt(from) - p.size - avg) - Math.abs(this.byt(from) - avg);
    return [moves, moves * p.size + dev];
  }

  replace(p: WorkPartition, from: number, to: number): void {
    this.replaceAt(p, p.replicas.indexOf(from), to);
  }

  replaceAt(p: WorkPartition, i: number, to: number): void {
    const from = p.replicas[i];
    if (from === undefined) throw new Error(`planner: ${p.topic}-${p.partition} has no replica at ${i}`);
    // Same position: the newcomer inherits preference (leader phase may reorder later).
    p.replicas[i] = to;
    this.add(from, p.size, -1);
    this.add(to, p.size, 1);
  }
}
