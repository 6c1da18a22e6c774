import fc from 'fast-check';
import { checkState, type BrokerView } from './leader-election.js';
import { planReassignment, progressReassignment } from './reassignment-planner.js';
import type { PartitionState } from './types.js';

function ps(over: Partial<PartitionState> = {}): PartitionState {
  return { topic: 't', partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 0, addingReplicas: [], removingReplicas: [], ...over };
}
const all: BrokerView = { live: new Set([1, 2, 3, 4, 5, 6]), shuttingDown: new Set() };
const registered = (id: number): boolean => id >= 1 && id <= 6;

function written(o: ReturnType<typeof planReassignment>): PartitionState {
  if (o.kind !== 'write') throw new Error(`expected a write, got ${JSON.stringify(o)}`);
  return o.state;
}

describe('planReassignment / progressReassignment', () => {
  it('moves [1,2,3] -> [4,5,6]: union, wait for ISR, then move leadership and drop old replicas', () => {
    const started = written(planReassignment(ps(), [4, 5, 6], all, registered));
    expect(started).toMatchObject({ replicas: [4, 5, 6, 1, 2, 3], addingReplicas: [4, 5, 6], removingReplicas: [1, 2, 3], leader: 1, isr: [1, 2, 3] });
    expect(progressReassignment(started, all)).toBeNull(); // new replicas not in sync yet
    expect(progressReassignment({ ...started, isr: [1, 2, 3, 4, 5] }, all)).toBeNull();
    const done = progressReassignment({ ...started, isr: [1, 2, 3, 4, 5, 6] }, all);
    expect(done).toMatchObject({ replicas: [4, 5, 6], addingReplicas: [], removingReplicas: [], leader: 4, isr: [4, 5, 6], leaderEpoch: 1 });
  });

  it('completes a pure removal at once, keeping the leader when it stays', () => {
    expect(written(planReassignment(ps(), [1, 2], all, registered))).toMatchObject({ replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0 });
    expect(written(planReassignment(ps(), [3, 2], all, registered))).toMatchObject({ replicas: [3, 2], leader: 3, leaderEpoch: 1 });
  });

  it('cancels back to the original replicas', () => {
    const started = written(planReassignment(ps(), [1, 2, 4], all, registered));
    const cancelled = written(planReassignment({ ...started, isr: [1, 2, 3, 4] }, null, all, registered));
    expect(cancelled).toMatchObject({ replicas: [1, 2, 3], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [] });
    expect(planReassignment(ps(), null, all, registered)).toMatchObject({ kind: 'error', error: 'NO_REASSIGNMENT_IN_PROGRESS' });
  });

  it('rejects empty, duplicate or unknown replicas', () => {
    expect(planReassignment(ps(), [], all, registered)).toMatchObject({ kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT' });
    expect(planReassignment(ps(), [1, 1], all, registered)).toMatchObject({ kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT' });
    expect(planReassignment(ps(), [1, 9], all, registered)).toMatchObject({ kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT' });
  });

  it('a new target replaces an ongoing move from the original replicas', () => {
    const first = written(planReassignment(ps(), [4, 5, 6], all, registered));
    const second = written(planReassignment(first, [1, 2, 5], all, registered));
    expect(second).toMatchObject({ replicas: [1, 2, 5, 3], addingReplicas: [5], removingReplicas: [3] });
  });

  it('waits for a usable target replica before moving leadership', () => {
    const s = written(planReassignment(ps(), [4, 5, 6], all, registered));
    const inSync = { ...s, isr: [1, 2, 3, 4, 5, 6] };
    expect(progressReassignment(inSync, { live: new Set([1, 2, 3]), shuttingDown: new Set() })).toBeNull();
  });
});

describe('reassignment properties', () => {
  it('converges to the target once the new replicas catch up, with invariants and increasing epochs', () => {
    const ids = fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(ids, ids, (orig, target) => {
        let s = ps({ replicas: orig, isr: [...orig], leader: orig[0] ?? 1 });
        const plan = planReassignment(s, target, all, registered);
        if (plan.kind === 'error') throw new Error(plan.message);
        if (plan.kind === 'noop') {
          expect(s.replicas).toEqual(target);
          return;
        }
        checkState(plan.state);
        expect(plan.state.partitionEpoch).toBeGreaterThan(s.partitionEpoch);
        s = plan.state;
        // The leader brings every adding replica into the ISR, then the controller finishes.
        for (let i = 0; i < 3 && (s.addingReplicas.length > 0 || s.removingReplicas.length > 0); i++) {
          const caughtUp = { ...s, isr: [...new Set([...s.isr, ...s.addingReplicas])], partitionEpoch: s.partitionEpoch + 1 };
          const next = progressReassignment(caughtUp, all);
          if (!next) throw new Error('no progress');
          checkState(next);
          expect(next.leaderEpoch).toBeGreaterThanOrEqual(s.leaderEpoch);
          s = next;
        }
        expect(s.replicas).toEqual(target);
        expect(s.addingReplicas).toEqual([]);
        expect(s.removingReplicas).toEqual([]);
        expect(target).toContain(s.leader);
      }),
      { numRuns: 1000 },
    );
  });
});
