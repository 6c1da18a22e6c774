/** Before/after balance of an assignment, as shown in status and checked by the tests. */
import { countBand } from './state.js';
import type { BalanceSummary, BrokerLoad, PlannerBroker, Thresholds } from './types.js';

export interface AssignedPartition {
  readonly replicas: readonly number[];
  readonly size: number;
}

function stats(xs: readonly number[]): { min: number; max: number; avg: number } {
  if (xs.length === 0) return { min: 0, max: 0, avg: 0 };
  return { min: Math.min(...xs), max: Math.max(...xs), avg: xs.reduce((a, b) => a + b, 0) / xs.length };
}

function rackCapFor(rf: number, rackSizes: readonly number[]): number {
  let cap = Math.max(1, Math.ceil(rf / Math.max(1, rackSizes.length)));
  while (cap < rf && rackSizes.reduce((s, n) => s + Math.min(n, cap), 0) < rf) cap++;
  return cap;
}

/**
 * Loads per broker and whether the kept brokers sit inside the thresholds. Leaders are
 * preferred leaders (replicas[0]): what a plan controls, and where leadership returns after a
 * preferred election. `rows` chooses which brokers get a row (removed ones too, before a plan).
 */
export function summarize(
  brokers: readonly PlannerBroker[],
  removed: ReadonlySet<number>,
  partitions: readonly AssignedPartition[],
  t: Thresholds,
  rows: 'all' | 'kept',
): BalanceSummary {
  const keptBrokers = brokers.filter((b) => !removed.has(b.id));
  const kept = new Set(keptBrokers.map((b) => b.id));
  const loads = new Map<number, { replicas: number; leaders: number; bytes: number }>(brokers.map((b) => [b.id, { replicas: 0, leaders: 0, bytes: 0 }]));
  const rackAware = brokers.some((b) => b.rack !== null);
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? '']));
  const rackSizes = new Map<string, number>();
  for (const b of keptBrokers) rackSizes.set(b.rack ?? '', (rackSizes.get(b.rack ?? '') ?? 0) + 1);
  let total = 0;
  let totalBytes = 0;
  let onRemoved = 0;
  let violations = 0;
  for (const p of partitions) {
    total += p.replicas.length;
    totalBytes += p.size * p.replicas.length;
    p.replicas.forEach((b, i) => {
      const l = loads.get(b);
      if (!kept.has(b)) onRemoved++;
      if (l === undefined) return;
      l.replicas++;
      l.bytes += p.size;
      if (i === 0) l.leaders++;
    });
    const distinct = new Set(p.replicas).size === p.replicas.length;
    let rackOk = true;
    if (rackAware) {
      const cap = rackCapFor(p.replicas.length, [...rackSizes.values()]);
      const per = new Map<string, number>();
      for (const b of p.replicas) per.set(rackOf.get(b) ?? '', (per.get(rackOf.get(b) ?? '') ?? 0) + 1);
      rackOk = [...per.values()].every((n) => n <= cap);
    }
    if (!distinct || !rackOk) violations++;
  }
  const keptLoads = keptBrokers.map((b) => loads.get(b.id) ?? { replicas: 0, leaders: 0, bytes: 0 });
  const rb = countBand(total, keptBrokers.length, t.replicaCount);
  const lb = countBand(partitions.length, keptBrokers.length, t.leaderCount);
  const avgBytes = keptBrokers.length === 0 ? 0 : totalBytes / keptBrokers.length;
  const shown: BrokerLoad[] = (rows === 'all' ? brokers : keptBrokers)
    .map((b) => ({ broker: b.id, ...(loads.get(b.id) ?? { replicas: 0, leaders: 0, bytes: 0 }) }))
    .sort((a, b) => a.broker - b.broker);
  return {
    brokers: shown,
    replicas: stats(keptLoads.map((l) => l.replicas)),
    leaders: stats(keptLoads.map((l) => l.leaders)),
    bytes: stats(keptLoads.map((l) => l.bytes)),
    replicasWithinThreshold: onRemoved === 0 && keptLoads.every((l) => l.replicas >= rb.lo && l.replicas <= rb.hi),
    leadersWithinThreshold: keptLoads.every((l) => l.leaders >= lb.lo && l.leaders <= lb.hi),
    bytesWithinThreshold: keptLoads.every((l) => Math.abs(l.bytes - avgBytes) <= t.bytesRatio * avgBytes),
    replicasOnRemovedBrokers: onRemoved,
    hardGoalViolations: violations,
  };
}
