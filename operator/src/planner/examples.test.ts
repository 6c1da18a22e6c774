import { placeReplicas } from '../../../broker/src/cluster/placement.js';
import { planRebalance, type Plan, type PlannerBroker, type PlannerInput } from './index.js';

function planOf(input: PlannerInput): Plan {
  const r = planRebalance(input);
  if (!r.ok) throw new Error(`refused: ${r.refusal.message}`);
  return r.plan;
}

/** 12 partitions at RF 3 laid out by the controller's placement over `placedOn`, 1 MB each. */
function cluster(brokers: PlannerBroker[], placedOn: PlannerBroker[], removeBrokers: number[] = []): PlannerInput {
  const lists = placeReplicas(placedOn, 12, 3, { startIndex: 0, replicaShift: 0 });
  return {
    brokers,
    removeBrokers,
    thresholds: { replicaCount: 1, leaderCount: 1, bytesRatio: 0.1 },
    topics: [{ name: 'orders', minInsyncReplicas: 2, partitions: lists.map((replicas, partition) => ({ partition, replicas, leader: replicas[0] ?? -1, sizeBytes: 1_000_000 })) }],
  };
}

const five: PlannerBroker[] = [1, 2, 3, 4, 5].map((id) => ({ id, rack: null }));
const three = five.slice(0, 3);

describe('planner examples (the issue scenarios)', () => {
  test('scale 3 -> 5: every broker ends with replicas and leaders within the thresholds', () => {
    const plan = planOf(cluster(five, three));
    expect(plan.before.brokers.find((b) => b.broker === 4)?.replicas).toBe(0);
    for (const b of plan.after.brokers) {
      expect(b.replicas).toBeGreaterThanOrEqual(6); // 36 replicas / 5 = 7.2, band [6, 9]
      expect(b.replicas).toBeLessThanOrEqual(9);
      expect(b.leaders).toBeGreaterThanOrEqual(1);
    }
    expect(plan.after.replicasWithinThreshold && plan.after.leadersWithinThreshold && plan.after.bytesWithinThreshold).toBe(true);
    // Lower bound: brokers 1-3 hold 12 each, the band tops at 9 -> at least 9 moves.
    expect(plan.replicasMoved).toBeGreaterThanOrEqual(9);
    expect(plan.replicasMoved).toBeLessThanOrEqual(11);
    expect(plan.bytesMoved).toBe(plan.replicasMoved * 1_000_000);
  });

  test('scale 5 -> 3: brokers 4 and 5 are drained, in steps that respect min ISR', () => {
    const plan = planOf(cluster(five, five, [4, 5]));
    expect(plan.after.replicasOnRemovedBrokers).toBe(0);
    expect(plan.after.brokers.map((b) => b.replicas)).toEqual([12, 12, 12]);
    // RF 3, minISR 2: one replica per step, so a partition on both 4 and 5 takes two steps.
    for (const m of plan.moves) expect(m.adding.length).toBe(1);
    expect(plan.moves.some((m) => m.steps === 2)).toBe(true);
  });

  test('refuses a scale-down below the replication factor, naming the topics', () => {
    const r = planRebalance(cluster(five, five, [3, 4, 5]));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.refusal.code).toBe('NotEnoughBrokers');
    expect(r.refusal.topics).toEqual(['orders']);
    expect(r.refusal.message).toContain('2 broker(s) would remain');
  });

  test('racks: a partition with two replicas in one rack is fixed, others untouched', () => {
    const brokers: PlannerBroker[] = [
      { id: 1, rack: 'a' },
      { id: 2, rack: 'b' },
      { id: 3, rack: 'c' },
      { id: 4, rack: 'a' },
      { id: 5, rack: 'b' },
      { id: 6, rack: 'c' },
    ];
    const input: PlannerInput = {
      brokers,
      removeBrokers: [],
      thresholds: { replicaCount: 2, leaderCount: 2, bytesRatio: 10 },
      topics: [
        {
          name: 't',
          minInsyncReplicas: 2,
          partitions: [
            { partition: 0, replicas: [1, 4, 2], leader: 1, sizeBytes: 10 },
            { partition: 1, replicas: [2, 3, 4], leader: 2, sizeBytes: 10 },
            { partition: 2, replicas: [3, 5, 1], leader: 3, sizeBytes: 10 },
            { partition: 3, replicas: [6, 1, 5], leader: 6, sizeBytes: 10 },
          ],
        },
      ],
    };
    const plan = planOf(input);
    expect(plan.moves).toHaveLength(1);
    expect(plan.moves[0]?.partition).toBe(0);
    const fixed = plan.target.get('t')?.get(0) ?? [];
    expect(new Set(fixed.map((b) => brokers.find((x) => x.id === b)?.rack)).size).toBe(3);
  });

  test('leadership drift after a failover becomes a preferred-leader election, not a move', () => {
    const input = cluster(three, three);
    const drifted: PlannerInput = {
      ...input,
      topics: input.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, leader: p.replicas[1] ?? -1 })) })),
    };
    const plan = planOf(drifted);
    expect(plan.moves).toEqual([]);
    expect(plan.leaderChanges).toHaveLength(12);
    for (const lc of plan.leaderChanges) expect(lc.reorderOnly).toBe(false);
  });
});
