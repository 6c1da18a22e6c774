/** fast-check generators of random clusters for the planner's property tests. */
import fc from 'fast-check';
import { placeReplicas } from '../../../broker/src/cluster/placement.js';
import type { PlannerBroker, PlannerInput, PlannerTopic, Thresholds } from './types.js';

export type RackMode = 'none' | 'even' | 'random';

export interface ClusterCase {
  readonly input: PlannerInput;
  readonly rackMode: RackMode;
}

const RACKS = ['a', 'b', 'c'];

function brokersArb(): fc.Arbitrary<{ brokers: PlannerBroker[]; rackMode: RackMode }> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: 7 }),
      rackMode: fc.constantFrom<RackMode>('none', 'even', 'random'),
      racks: fc.integer({ min: 2, max: 3 }),
      randomRacks: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 7, maxLength: 7 }),
    })
    .map(({ n, rackMode, racks, randomRacks }) => {
      const brokers: PlannerBroker[] = [];
      for (let i = 0; i < n; i++) {
        const rack = rackMode === 'none' ? null : rackMode === 'even' ? (RACKS[i % racks] ?? null) : (RACKS[randomRacks[i] ?? 0] ?? null);
        brokers.push({ id: i + 1, rack });
      }
      return { brokers, rackMode };
    });
}

export const thresholdsArb: fc.Arbitrary<Thresholds> = fc.record({
  replicaCount: fc.integer({ min: 0, max: 2 }),
  leaderCount: fc.integer({ min: 0, max: 2 }),
  bytesRatio: fc.constantFrom(0.05, 0.2, 1),
});

/** Random (possibly unbalanced, possibly rack-violating) assignments over the current brokers. */
export function clusterArb(opts: { allowRemove?: boolean; maxTopics?: number } = {}): fc.Arbitrary<ClusterCase> {
  return brokersArb().chain(({ brokers, rackMode }) => {
    const ids = brokers.map((b) => b.id);
    const topicArb = fc
      .record({
        partitions: fc.integer({ min: 1, max: 8 }),
        rf: fc.integer({ min: 1, max: Math.min(3, ids.length) }),
        minIsrOffset: fc.integer({ min: 0, max: 2 }),
      })
      .chain(({ partitions, rf, minIsrOffset }) =>
        fc.record({
          rf: fc.constant(rf),
          minIsr: fc.constant(Math.max(1, rf - minIsrOffset)),
          parts: fc.array(
            fc.record({
              replicas: fc.shuffledSubarray(ids, { minLength: rf, maxLength: rf }),
              size: fc.integer({ min: 0, max: 1_000_000 }),
              leaderPick: fc.nat(),
            }),
            { minLength: partitions, maxLength: partitions },
          ),
        }),
      );
    return fc
      .record({
        topics: fc.array(topicArb, { minLength: 1, maxLength: opts.maxTopics ?? 4 }),
        remove: opts.allowRemove ? fc.subarray(ids, { maxLength: Math.max(0, ids.length - 1) }) : fc.constant<number[]>([]),
        added: fc.integer({ min: 0, max: 2 }),
        thresholds: thresholdsArb,
      })
      .map(({ topics, remove, added, thresholds }) => {
        // Scale up: brokers that exist but hold nothing yet.
        const all = [...brokers];
        for (let i = 0; i < added; i++) {
          const id = brokers.length + i + 1;
          all.push({ id, rack: rackMode === 'none' ? null : (RACKS[(id - 1) % 2] ?? null) });
        }
        const planned: PlannerTopic[] = topics.map((t, ti) => ({
          name: `t${ti}`,
          minInsyncReplicas: t.minIsr,
          partitions: t.parts.map((p, pi) => ({
            partition: pi,
            replicas: p.replicas,
            leader: p.replicas[p.leaderPick % p.replicas.length] ?? -1,
            sizeBytes: p.size,
          })),
        }));
        return { input: { brokers: all, removeBrokers: remove, topics: planned, thresholds }, rackMode: added > 0 && rackMode === 'even' ? 'random' : rackMode };
      });
  });
}

/** Clusters laid out by the controller's own placeReplicas, equal partition sizes: balanced. */
export function placedClusterArb(): fc.Arbitrary<PlannerInput> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: 6 }),
      racked: fc.boolean(),
      topics: fc.array(fc.record({ partitions: fc.integer({ min: 1, max: 12 }), rf: fc.integer({ min: 1, max: 3 }), start: fc.nat(), shift: fc.nat() }), { minLength: 1, maxLength: 3 }),
      size: fc.integer({ min: 1, max: 1000 }),
    })
    .map(({ n, racked, topics, size }) => {
      const brokers: PlannerBroker[] = Array.from({ length: n }, (_, i) => ({ id: i + 1, rack: racked ? (RACKS[i % 3] ?? null) : null }));
      return {
        brokers,
        removeBrokers: [],
        thresholds: { replicaCount: 1, leaderCount: 1, bytesRatio: 0.5 },
        topics: topics.map((t, ti) => {
          const rf = Math.min(t.rf, n);
          const lists = placeReplicas(brokers, t.partitions, rf, { startIndex: t.start % n, replicaShift: t.shift % n });
          return {
            name: `t${ti}`,
            minInsyncReplicas: 1,
            partitions: lists.map((replicas, p) => ({ partition: p, replicas, leader: replicas[0] ?? -1, sizeBytes: size })),
          };
        }),
      };
    });
}
