import fc from 'fast-check';
import { clusterArb, placedClusterArb, type ClusterCase } from './arbitraries.test-support.js';
import { countBand, planRebalance, type Plan, type PlannerInput } from './index.js';

const RUNS = { numRuns: 300 };

function planOf(input: PlannerInput): Plan {
  const r = planRebalance(input);
  if (!r.ok) throw new Error(`refused: ${r.refusal.message}`);
  return r.plan;
}

function keptOf(input: PlannerInput): number[] {
  const removed = new Set(input.removeBrokers);
  return input.brokers.map((b) => b.id).filter((id) => !removed.has(id));
}

function maxRf(input: PlannerInput): number {
  return Math.max(0, ...input.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length)));
}

/** Clusters where the planner must answer (enough brokers remain). */
const plannable = clusterArb({ allowRemove: true }).filter((c) => keptOf(c.input).length >= maxRf(c.input));

/**
 * Σ over brokers of what must leave (everything on removed brokers, the excess above the
 * band on kept ones) and of what must arrive (the deficit below the band): every replica move
 * takes one from one broker and gives one to another, so moves >= the larger sum.
 */
function moveLowerBound(input: PlannerInput): number {
  const kept = keptOf(input);
  const keptSet = new Set(kept);
  const count = new Map<number, number>(kept.map((b) => [b, 0]));
  let total = 0;
  let out = 0;
  for (const t of input.topics) {
    for (const p of t.partitions) {
      total += p.replicas.length;
      for (const b of p.replicas) {
        if (keptSet.has(b)) count.set(b, (count.get(b) ?? 0) + 1);
        else out++;
      }
    }
  }
  const { lo, hi } = countBand(total, kept.length, input.thresholds?.replicaCount ?? 1);
  let deficit = 0;
  for (const c of count.values()) {
    out += Math.max(0, c - hi);
    deficit += Math.max(0, lo - c);
  }
  return Math.max(out, deficit);
}

/**
 * Moves the hard goals alone need (rack repairs). Each may also push its destination over the
 * band or its source under it, so the bound below allows two moves per repair.
 */
function rackFixes(input: PlannerInput): number {
  const plan = planRebalance({ ...input, thresholds: { replicaCount: 1e9, leaderCount: 1e9, bytesRatio: 1e9 } });
  return plan.ok ? plan.plan.replicasMoved : 0;
}

describe('planner properties', () => {
  test('refuses exactly when the remaining brokers cannot hold some replication factor', () => {
    fc.assert(
      fc.property(clusterArb({ allowRemove: true }), ({ input }) => {
        const r = planRebalance(input);
        const enough = keptOf(input).length >= maxRf(input);
        expect(r.ok).toBe(enough);
        if (!r.ok) {
          expect(r.refusal.code).toBe('NotEnoughBrokers');
          expect(r.refusal.topics.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });

  test('hard goals hold in the result, and moves chain from the current to the target assignment', () => {
    fc.assert(
      fc.property(plannable, ({ input }) => {
        const plan = planOf(input);
        const kept = new Set(keptOf(input));
        expect(plan.after.hardGoalViolations).toBe(0);
        expect(plan.after.replicasOnRemovedBrokers).toBe(0);
        for (const t of input.topics) {
          for (const p of t.partitions) {
            const target = plan.target.get(t.name)?.get(p.partition) ?? [];
            expect(target.length).toBe(p.replicas.length);
            expect(new Set(target).size).toBe(target.length);
            for (const b of target) expect(kept.has(b)).toBe(true);
            const steps = plan.moves.filter((m) => m.topic === t.name && m.partition === p.partition);
            let cur: readonly number[] = p.replicas;
            steps.forEach((m, i) => {
              expect(m.step).toBe(i + 1);
              expect(m.steps).toBe(steps.length);
              expect(m.from).toEqual(cur);
              // Min ISR: each step keeps min(RF, minISR) replicas of the step before.
              expect(m.adding.length).toBeLessThanOrEqual(Math.max(1, p.replicas.length - t.minInsyncReplicas));
              expect(m.bytes).toBe(m.adding.length * p.sizeBytes);
              cur = m.to;
            });
            if (steps.length > 0) expect(cur).toEqual(target);
            else expect(new Set(target)).toEqual(new Set(p.replicas));
          }
        }
      }),
      RUNS,
    );
  });

  test('scale down: no replica and no preferred leader stays on a removed broker', () => {
    fc.assert(
      fc.property(plannable.filter((c) => c.input.removeBrokers.length > 0), ({ input }) => {
        const plan = planOf(input);
        const removed = new Set(input.removeBrokers);
        for (const parts of plan.target.values()) for (const r of parts.values()) for (const b of r) expect(removed.has(b)).toBe(false);
        for (const lc of plan.leaderChanges) expect(removed.has(lc.toLeader)).toBe(false);
      }),
      RUNS,
    );
  });

  test('replica counts end within the threshold whenever a balanced answer exists', () => {
    // Exists: with no racks, or racks of equal size, the nested-ceiling argument (README.md)
    // shows an assignment with every broker in [floor(avg), ceil(avg)] satisfying the rack goal.
    const evenRacks = (c: ClusterCase): boolean => {
      if (c.rackMode === 'none') return true;
      const sizes = new Map<string, number>();
      for (const id of keptOf(c.input)) {
        const rack = c.input.brokers.find((b) => b.id === id)?.rack ?? '';
        sizes.set(rack, (sizes.get(rack) ?? 0) + 1);
      }
      return new Set(sizes.values()).size === 1;
    };
    fc.assert(
      fc.property(plannable.filter(evenRacks), ({ input }) => {
        const plan = planOf(input);
        expect(plan.after.replicasWithinThreshold).toBe(true);
      }),
      RUNS,
    );
  });

  test('leader counts end within the threshold when the replica sets allow it', () => {
    // No racks and one RF >= 2 everywhere: balanced replica sets then admit leaders within
    // ceil(P/n) + 1 (Hall's condition, README.md), so a leader tolerance >= 1 is reachable.
    const uniform = plannable.filter((c) => {
      const rfs = new Set(c.input.topics.flatMap((t) => t.partitions.map((p) => p.replicas.length)));
      return c.rackMode === 'none' && rfs.size === 1 && !rfs.has(1);
    });
    fc.assert(
      fc.property(uniform, ({ input }) => {
        const t = { replicaCount: 0, leaderCount: 1, bytesRatio: 1e9 };
        const plan = planOf({ ...input, thresholds: t });
        expect(plan.after.replicasWithinThreshold).toBe(true);
        expect(plan.after.leadersWithinThreshold).toBe(true);
      }),
      RUNS,
    );
  });

  test('nothing moves when the cluster is already balanced', () => {
    const check = (input: PlannerInput): void => {
      const plan = planOf(input);
      const b = plan.before;
      if (input.removeBrokers.length > 0 || b.hardGoalViolations > 0 || !b.replicasWithinThreshold || !b.bytesWithinThreshold) return;
      expect(plan.moves).toEqual([]);
      if (b.leadersWithinThreshold) {
        for (const lc of plan.leaderChanges) expect(lc.reorderOnly).toBe(false);
        for (const t of input.topics) for (const p of t.partitions) expect(plan.target.get(t.name)?.get(p.partition)).toEqual(p.replicas);
      }
    };
    fc.assert(fc.property(placedClusterArb(), check), RUNS);
    fc.assert(fc.property(plannable, ({ input }) => check(input)), RUNS);
  });

  test('the number of replica moves is at most a small constant over the lower bound', () => {
    fc.assert(
      fc.property(plannable.filter((c) => c.rackMode === 'none'), ({ input }) => {
        // Bytes balancing may move more on purpose; the bound is about the count goals.
        const t = { ...(input.thresholds ?? { replicaCount: 1, leaderCount: 1 }), bytesRatio: 1e9 };
        const plan = planOf({ ...input, thresholds: t });
        expect(plan.replicasMoved).toBeLessThanOrEqual(moveLowerBound({ ...input, thresholds: t }) + 2);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(plannable, ({ input }) => {
        const t = { ...(input.thresholds ?? { replicaCount: 1, leaderCount: 1 }), bytesRatio: 1e9 };
        const plan = planOf({ ...input, thresholds: t });
        expect(plan.replicasMoved).toBeLessThanOrEqual(moveLowerBound({ ...input, thresholds: t }) + 2 * rackFixes(input) + 2);
      }),
      RUNS,
    );
  });

  test('deterministic: the same cluster, in any input order, gives the same plan', () => {
    fc.assert(
      fc.property(plannable, fc.nat(), ({ input }, seed) => {
        const rot = <T>(xs: readonly T[]): T[] => (xs.length === 0 ? [] : [...xs.slice(seed % xs.length), ...xs.slice(0, seed % xs.length)]);
        const shuffled: PlannerInput = {
          ...input,
          brokers: rot(input.brokers),
          removeBrokers: rot(input.removeBrokers),
          topics: rot(input.topics).map((t) => ({ ...t, partitions: rot(t.partitions) })),
        };
        expect(planOf(shuffled)).toEqual(planOf(input));
      }),
      { numRuns: 150 },
    );
  });
});
