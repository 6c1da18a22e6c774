import fc from 'fast-check';
import { checkState, electPreferred, electUnclean, isUsable, reconcileLeadership, type BrokerView } from './leader-election.js';
import type { PartitionState } from './types.js';

function ps(over: Partial<PartitionState> = {}): PartitionState {
  return { topic: 't', partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 5, isr: [1, 2, 3], partitionEpoch: 9, addingReplicas: [], removingReplicas: [], ...over };
}
const view = (live: number[], shuttingDown: number[] = []): BrokerView => ({ live: new Set(live), shuttingDown: new Set(shuttingDown) });

describe('reconcileLeadership', () => {
  it('leaves a healthy partition alone', () => {
    expect(reconcileLeadership(ps(), view([1, 2, 3]), false)).toBeNull();
  });

  it('elects the next ISR member in replica order when the leader dies, bumping both epochs', () => {
    const next = reconcileLeadership(ps(), view([2, 3]), false);
    expect(next).toMatchObject({ leader: 2, leaderEpoch: 6, isr: [2, 3], partitionEpoch: 10 });
  });

  it('drops a dead follower from the ISR without touching the leader epoch', () => {
    expect(reconcileLeadership(ps(), view([1, 2]), false)).toMatchObject({ leader: 1, leaderEpoch: 5, isr: [1, 2], partitionEpoch: 10 });
  });

  it('goes offline keeping the last ISR member when no ISR member is alive (clean)', () => {
    const next = reconcileLeadership(ps({ isr: [1] }), view([2, 3]), false);
    expect(next).toMatchObject({ leader: -1, leaderEpoch: 6, isr: [1] });
    // and stays so (idempotent) until broker 1 returns, which is then elected cleanly
    expect(next && reconcileLeadership(next, view([2, 3]), false)).toBeNull();
    expect(next && reconcileLeadership(next, view([1, 2, 3]), false)).toMatchObject({ leader: 1, leaderEpoch: 7, isr: [1] });
  });

  it('keeps the last leader as the sole ISR member when the whole ISR dies at once', () => {
    expect(reconcileLeadership(ps({ leader: 2, isr: [1, 2] }), view([3]), false)).toMatchObject({ leader: -1, isr: [2] });
  });

  it('elects an out-of-ISR replica only with unclean election', () => {
    expect(reconcileLeadership(ps({ isr: [1] }), view([3]), true)).toMatchObject({ leader: 3, isr: [3], leaderEpoch: 6 });
  });

  it('moves leadership off a shutting-down leader and drops it from the ISR', () => {
    expect(reconcileLeadership(ps(), view([1, 2, 3], [1]), false)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 6 });
  });

  it('lets a shutting-down sole ISR member keep leading', () => {
    expect(reconcileLeadership(ps({ isr: [1] }), view([1, 2, 3], [1]), false)).toBeNull();
  });

  it('prefers replicas a reassignment keeps', () => {
    const s = ps({ replicas: [4, 1, 2, 3], addingReplicas: [4], removingReplicas: [2], isr: [1, 2, 3] });
    expect(reconcileLeadership(s, view([2, 3, 4]), false)).toMatchObject({ leader: 3 });
  });
});

describe('ElectLeaders decisions', () => {
  it('preferred: moves to replicas[0] when in ISR and usable', () => {
    const e = electPreferred(ps({ leader: 2 }), view([1, 2, 3]));
    expect(e.kind === 'elected' && e.state).toMatchObject({ leader: 1, leaderEpoch: 6 });
    expect(electPreferred(ps(), view([1, 2, 3]))).toMatchObject({ kind: 'error', error: 'ELECTION_NOT_NEEDED' });
    expect(electPreferred(ps({ leader: 2, isr: [2, 3] }), view([1, 2, 3]))).toMatchObject({ kind: 'error', error: 'PREFERRED_LEADER_NOT_AVAILABLE' });
  });

  it('unclean: only when the leader is gone', () => {
    expect(electUnclean(ps(), view([1, 2, 3]))).toMatchObject({ kind: 'error', error: 'ELECTION_NOT_NEEDED' });
    const e = electUnclean(ps({ leader: -1, isr: [1] }), view([3]));
    expect(e.kind === 'elected' && e.state).toMatchObject({ leader: 3, isr: [3] });
    expect(electUnclean(ps({ leader: -1, isr: [1] }), view([]))).toMatchObject({ kind: 'error', error: 'ELIGIBLE_LEADERS_NOT_AVAILABLE' });
  });
});

const arbCase = fc
  .record({
    n: fc.integer({ min: 1, max: 5 }),
    isrMask: fc.integer({ min: 1, max: 31 }),
    leaderIdx: fc.integer({ min: -1, max: 4 }),
    liveMask: fc.integer({ min: 0, max: 63 }),
    downMask: fc.integer({ min: 0, max: 63 }),
    unclean: fc.boolean(),
  })
  .map(({ n, isrMask, leaderIdx, liveMask, downMask, unclean }) => {
    const replicas = Array.from({ length: n }, (_, i) => i + 1);
    let isr = replicas.filter((_, i) => isrMask & (1 << i));
    if (isr.length === 0) isr = [replicas[0] ?? 1];
    const leader = leaderIdx >= 0 && leaderIdx < isr.length ? (isr[leaderIdx] ?? -1) : -1;
    const live = replicas.filter((_, i) => liveMask & (1 << i));
    const down = live.filter((_, i) => downMask & (1 << i));
    return { s: ps({ replicas, isr, leader }), v: view(live, down), unclean };
  });

describe('reconcileLeadership properties', () => {
  it('elects only usable brokers from the ISR unless unclean, keeps invariants, bumps epochs, converges', () => {
    fc.assert(
      fc.property(arbCase, ({ s, v, unclean }) => {
        const next = reconcileLeadership(s, v, unclean);
        if (!next) return;
        checkState(next);
        expect(next.partitionEpoch).toBeGreaterThan(s.partitionEpoch);
        if (next.leader !== s.leader) {
          expect(next.leaderEpoch).toBeGreaterThan(s.leaderEpoch);
          if (next.leader !== -1) {
            expect(isUsable(v, next.leader)).toBe(true);
            if (!unclean) expect(s.isr).toContain(next.leader);
          }
        } else expect(next.leaderEpoch).toBe(s.leaderEpoch);
        // Only usable brokers remain in the ISR, except a sole last member or a staying leader.
        for (const b of next.isr) if (!isUsable(v, b) && next.isr.length > 1) expect(b).toBe(next.leader);
        // Converges: a second pass changes nothing.
        expect(reconcileLeadership(next, v, unclean)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});
