import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LeaderEpochCache } from '../storage/leader-epoch-cache.js';
import { afterFetch, initialFollowerState, proposeIsr, shouldExpand, shouldShrink, truncationOffset, type FollowerState } from './follower-state.js';
import { nextHighWatermark } from './high-watermark.js';

const LAG = 1000;

describe('ISR decisions', () => {
  it('a follower fetching at the leader LEO is caught up now; one that only reached the previous LEO, as of that fetch', () => {
    let s = initialFollowerState(true, 0);
    s = afterFetch(s, 10, 10, 100);
    expect(s.lastCaughtUpTimeMs).toBe(100);
    s = afterFetch(s, 10, 15, 200); // behind now, but had everything the leader had at 100
    expect(s.lastCaughtUpTimeMs).toBe(100);
    s = afterFetch(s, 15, 20, 300); // reached the LEO of the 200 fetch
    expect(s.lastCaughtUpTimeMs).toBe(200);
    expect(shouldShrink(s, 200 + LAG, LAG)).toBe(false);
    expect(shouldShrink(s, 201 + LAG, LAG)).toBe(true);
  });

  it('expands only at the HW and the epoch start', () => {
    expect(shouldExpand(10, 10, 5)).toBe(true);
    expect(shouldExpand(9, 10, 5)).toBe(false);
    expect(shouldExpand(10, 8, 12)).toBe(false);
    expect(shouldExpand(-1, 0, 0)).toBe(false);
  });

  it('property: a follower that keeps fetching at the leader LEO is never shrunk; a silent one always is', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: LAG }), fc.nat(50)), { minLength: 1, maxLength: 30 }), (steps) => {
        let now = 0;
        let leo = 0;
        let s = initialFollowerState(true, now);
        for (const [dt, grow] of steps) {
          now += dt;
          s = afterFetch(s, leo, leo, now); // caught up at each fetch
          leo += grow;
          expect(shouldShrink(s, now + LAG, LAG)).toBe(false);
        }
        expect(shouldShrink(s, now + LAG + 1, LAG)).toBe(true);
      }),
    );
  });

  it('property: proposals keep the leader, only drop ISR members, only add caught-up replicas', () => {
    const follower = fc.record({ leo: fc.integer({ min: -1, max: 100 }), lastCaughtUpTimeMs: fc.nat(5000), lastFetchTimeMs: fc.nat(5000), lastFetchLeaderLeo: fc.integer({ min: -1, max: 100 }) });
    fc.assert(
      fc.property(fc.array(follower, { minLength: 2, maxLength: 2 }), fc.subarray([1, 2]), fc.nat(100), fc.nat(100), fc.nat(5000), fc.constantFrom(-1, 1, 2), (fs, isrFollowers, hw, epochStart, now, fetchedBy) => {
        const followers = new Map<number, FollowerState>([
          [1, fs[0]!],
          [2, fs[1]!],
        ]);
        const isr = [0, ...isrFollowers];
        const next = proposeIsr(0, isr, [0, 1, 2], followers, hw, epochStart, now, LAG, fetchedBy) ?? isr;
        expect(next).toContain(0);
        for (const r of next) {
          if (r === 0 || isr.includes(r)) continue;
          expect(r).toBe(fetchedBy); // only the follower that fetched may rejoin
          expect(shouldExpand(followers.get(r)!.leo, hw, epochStart)).toBe(true);
        }
        for (const r of isr) if (!next.includes(r)) expect(shouldShrink(followers.get(r)!, now, LAG)).toBe(true);
      }),
    );
  });

  it('property: the HW never decreases and never passes an ISR member', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(100), fc.array(fc.integer({ min: -1, max: 100 }), { maxLength: 3 })), { maxLength: 30 }), (steps) => {
        let hw = 0;
        let leo = 0;
        for (const [grow, leos] of steps) {
          leo += grow;
          const bounded = leos.map((l) => Math.min(l, leo));
          const next = nextHighWatermark(hw, leo, bounded);
          expect(next).toBeGreaterThanOrEqual(hw);
          if (next > hw) for (const l of [leo, ...bounded]) expect(next).toBeLessThanOrEqual(l);
          hw = next;
        }
      }),
    );
  });
});

describe('truncationOffset (KIP-279)', () => {
  // Follower: epochs 1@0, 2@10, 4@20, LEO 30. Leader: 1@0, 2@10, 3@15, 5@25.
  const own = new LeaderEpochCache(null, [
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 10 },
    { epoch: 4, startOffset: 20 },
  ]);
  const ownEnd = (e: number) => own.endOffsetFor(e, 30);

  it('leader knows our epoch: truncate to the smaller end', () => {
    expect(truncationOffset({ epoch: 4, endOffset: 25 }, ownEnd, 30, 12)).toEqual({ offset: 25, done: true });
    expect(truncationOffset({ epoch: 4, endOffset: 40 }, ownEnd, 30, 12)).toEqual({ offset: 30, done: true });
  });
  it('leader answers an older epoch we have: truncate to where both agree', () => {
    // Leader never had epoch 4: answers (3, 25) for our 4; we have no 3, our floor is 2 ending at 20.
    expect(truncationOffset({ epoch: 3, endOffset: 25 }, ownEnd, 30, 12)).toEqual({ offset: 20, done: false });
    // Next round asks for 2: the leader says 2 ended at 15.
    expect(truncationOffset({ epoch: 2, endOffset: 15 }, ownEnd, 20, 12)).toEqual({ offset: 15, done: true });
  });
  it('leader has no such epoch at all: keep what was committed', () => {
    expect(truncationOffset({ epoch: -1, endOffset: -1 }, ownEnd, 30, 12)).toEqual({ offset: 12, done: true });
  });

  it('property: never truncates above the LEO; converges to exactly the common prefix of two histories', () => {
    // Both share epochs up to offset `off`, then diverge; the leader's last epoch is the newest (as elections ensure).
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 }),
        (common, leaderTail, followerTail) => {
          let off = 0;
          const commonEntries = common.map((len, i) => {
            const e = { epoch: i * 2, startOffset: off };
            off += len;
            return e;
          });
          const build = (tail: number[], epochOf: (i: number) => number) => {
            let o = off;
            const entries = tail.map((len, i) => {
              const e = { epoch: epochOf(i), startOffset: o };
              o += len;
              return e;
            });
            return { cache: new LeaderEpochCache(null, [...commonEntries, ...entries]), leo: o };
          };
          const base = common.length * 2;
          const leader = build(leaderTail, (i) => (i === leaderTail.length - 1 ? 1000 : base + 1 + i * 2));
          const follower = build(followerTail, (i) => base + i * 2);
          let leo = follower.leo;
          let done = false;
          for (let round = 0; round < 20 && !done; round++) {
            const answer = leader.cache.endOffsetFor(follower.cache.latestEpoch, leader.leo);
            const d = truncationOffset(answer, (e) => follower.cache.endOffsetFor(e, leo), leo, 0);
            expect(d.offset).toBeLessThanOrEqual(leo);
            leo = d.offset;
            follower.cache.truncateFromEnd(leo);
            done = d.done;
          }
          expect(done).toBe(true);
          expect(leo).toBe(off); // the divergence point: nothing common lost, nothing divergent kept
        },
      ),
    );
  });
});
