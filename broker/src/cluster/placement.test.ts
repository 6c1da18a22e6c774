import fc from 'fast-check';
import { placeReplicas, type PlacementBroker } from './placement.js';
import { ControllerError } from './types.js';

const brokersArb = fc
  .record({ n: fc.integer({ min: 1, max: 12 }), racks: fc.integer({ min: 0, max: 4 }) })
  .chain(({ n, racks }) =>
    fc.tuple(
      fc.constant(n),
      racks === 0 ? fc.constant<(string | null)[]>(Array.from({ length: n }, () => null)) : fc.array(fc.integer({ min: 0, max: racks - 1 }).map((r) => `r${r}`), { minLength: n, maxLength: n }),
      fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: n, maxLength: n }),
    ),
  )
  .map(([n, racks, ids]): PlacementBroker[] => Array.from({ length: n }, (_, i) => ({ id: ids[i] ?? i, rack: racks[i] ?? null })));

const caseArb = brokersArb.chain((brokers) =>
  fc.record({
    brokers: fc.constant(brokers),
    partitions: fc.integer({ min: 1, max: 60 }),
    rf: fc.integer({ min: 1, max: brokers.length }),
    start: fc.integer({ min: 0, max: brokers.length - 1 }),
    shift: fc.integer({ min: 0, max: brokers.length - 1 }),
  }),
);

describe('placeReplicas', () => {
  it('never repeats a broker within a partition and gives every partition rf replicas', () => {
    fc.assert(
      fc.property(caseArb, ({ brokers, partitions, rf, start, shift }) => {
        const out = placeReplicas(brokers, partitions, rf, { startIndex: start, replicaShift: shift });
        expect(out).toHaveLength(partitions);
        const ids = new Set(brokers.map((b) => b.id));
        for (const replicas of out) {
          expect(replicas).toHaveLength(rf);
          expect(new Set(replicas).size).toBe(rf);
          for (const r of replicas) expect(ids.has(r)).toBe(true);
        }
      }),
    );
  });

  it('balances leaders: counts differ by at most one', () => {
    fc.assert(
      fc.property(caseArb, ({ brokers, partitions, rf, start, shift }) => {
        const out = placeReplicas(brokers, partitions, rf, { startIndex: start, replicaShift: shift });
        const counts = new Map(brokers.map((b) => [b.id, 0]));
        for (const r of out) counts.set(r[0] ?? -1, (counts.get(r[0] ?? -1) ?? 0) + 1);
        const values = [...counts.values()];
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('spreads each partition over min(rf, racks) racks', () => {
    fc.assert(
      fc.property(caseArb, ({ brokers, partitions, rf, start, shift }) => {
        const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? '']));
        const numRacks = new Set(rackOf.values()).size;
        const out = placeReplicas(brokers, partitions, rf, { startIndex: start, replicaShift: shift });
        for (const replicas of out) {
          expect(new Set(replicas.map((r) => rackOf.get(r))).size).toBe(Math.min(rf, numRacks));
        }
      }),
    );
  });

  it('spreads replicas evenly when there are no racks (replica counts within rf of each other)', () => {
    fc.assert(
      fc.property(caseArb, ({ brokers, partitions, rf, start, shift }) => {
        fc.pre(brokers.every((b) => b.rack === null));
        const out = placeReplicas(brokers, partitions, rf, { startIndex: start, replicaShift: shift });
        const counts = new Map(brokers.map((b) => [b.id, 0]));
        for (const r of out.flat()) counts.set(r, (counts.get(r) ?? 0) + 1);
        const values = [...counts.values()];
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(rf);
      }),
    );
  });

  it('rejects a replication factor above the broker count', () => {
    fc.assert(
      fc.property(brokersArb, fc.integer({ min: 1, max: 5 }), (brokers, extra) => {
        let err: unknown;
        try {
          placeReplicas(brokers, 1, brokers.length + extra);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ControllerError);
        expect((err as ControllerError).kind).toBe('INVALID_REPLICATION_FACTOR');
      }),
    );
  });

  it('rejects non-positive partitions and replication factors', () => {
    const brokers = [{ id: 1, rack: null }];
    expect(() => placeReplicas(brokers, 0, 1)).toThrow(ControllerError);
    expect(() => placeReplicas(brokers, 1, 0)).toThrow(ControllerError);
  });

  it('follows Kafka round robin without racks', () => {
    const brokers = [0, 1, 2, 3, 4].map((id) => ({ id, rack: null }));
    const out = placeReplicas(brokers, 10, 3, { startIndex: 0, replicaShift: 0 });
    expect(out.slice(0, 6)).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
    ]);
  });

  it('places from startPartition onwards (CreatePartitions)', () => {
    const brokers = [0, 1, 2].map((id) => ({ id, rack: null }));
    const out = placeReplicas(brokers, 2, 1, { startIndex: 0, replicaShift: 0, startPartition: 4 });
    expect(out).toEqual([[1], [2]]);
  });
});
