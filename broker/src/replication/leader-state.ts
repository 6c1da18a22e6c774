/**
 * What a partition leader tracks about its followers for one leader epoch: each follower's
 * LEO and caught-up time (from its fetches), the committed ISR and an ISR change in flight,
 * and the high watermark they imply. Decisions come from follower-state.ts and
 * high-watermark.ts; this class only holds the state. Discarded when leadership ends.
 */
import { afterFetch, initialFollowerState, proposeIsr, type FollowerState } from './follower-state.js';
import { nextHighWatermark } from './high-watermark.js';

export class LeaderState {
  private readonly followers = new Map<number, FollowerState>();
  /** The ISR as stored in cluster metadata (what min.insync.replicas is checked against). */
  private committedIsr: readonly number[];
  /** An ISR change sent to the PartitionStateWriter and not yet answered. */
  private pending: readonly number[] | null = null;

  constructor(
    readonly leaderId: number,
    readonly leaderEpoch: number,
    /** The LEO when this epoch began (its entry in the leader-epoch checkpoint). */
    readonly epochStartOffset: number,
    private replicaList: readonly number[],
    isr: readonly number[],
    nowMs: number,
  ) {
    this.committedIsr = isr;
    this.resetFollowers(nowMs);
  }

  get isr(): readonly number[] {
    return this.committedIsr;
  }
  get replicas(): readonly number[] {
    return this.replicaList;
  }
  get pendingIsr(): readonly number[] | null {
    return this.pending;
  }

  /**
   * Kafka's "maximal ISR": while an expansion is in flight the new member already counts for
   * the HW (it may be in the stored ISR, so acks=all must wait for it too); while a shrink is
   * in flight the removed member still counts (it may still be in the stored ISR).
   */
  get maximalIsr(): readonly number[] {
    if (this.pending === null) return this.committedIsr;
    const set = new Set([...this.committedIsr, ...this.pending]);
    return [...set];
  }

  followerLeo(id: number): number {
    return this.followers.get(id)?.leo ?? -1;
  }

  /** A follower fetched at `fetchOffset`. Returns false for a broker that is not a replica. */
  recordFetch(id: number, fetchOffset: number, leaderLeo: number, nowMs: number): boolean {
    const s = this.followers.get(id);
    if (s === undefined) return false;
    this.followers.set(id, afterFetch(s, fetchOffset, leaderLeo, nowMs));
    return true;
  }

  /** The HW the ISR allows, never below `current` (invariant 2). */
  highWatermark(current: number, leaderLeo: number): number {
    const leos: number[] = [];
    for (const id of this.maximalIsr) if (id !== this.leaderId) leos.push(this.followerLeo(id));
    return nextHighWatermark(current, leaderLeo, leos);
  }

  /**
   * The ISR this leader should ask for now, or null (no change, or one already in flight).
   * `fetchedBy`: the follower that just fetched (may rejoin), -1 for the periodic shrink check.
   */
  propose(highWatermark: number, nowMs: number, lagMaxMs: number, fetchedBy = -1): number[] | null {
    if (this.pending !== null) return null;
    return proposeIsr(this.leaderId, this.committedIsr, this.replicaList, this.followers, highWatermark, this.epochStartOffset, nowMs, lagMaxMs, fetchedBy);
  }

  beginChange(isr: readonly number[]): void {
    this.pending = isr;
  }

  /** The writer answered (or failed: `isr` null); the stored ISR is now `isr`. */
  endChange(isr: readonly number[] | null): void {
    this.pending = null;
    if (isr !== null) this.committedIsr = isr;
  }

  /** ISR / replica set from cluster metadata at the same leader epoch (controller or our own write). */
  applyMetadata(replicas: readonly number[], isr: readonly number[], nowMs: number): void {
    this.committedIsr = isr;
    if (replicas.length !== this.replicaList.length || replicas.some((r, i) => r !== this.replicaList[i])) {
      this.replicaList = replicas;
      this.resetFollowers(nowMs, true);
    }
  }

  private resetFollowers(nowMs: number, keepKnown = false): void {
    const inIsr = new Set(this.committedIsr);
    const old = keepKnown ? new Map(this.followers) : new Map<number, FollowerState>();
    this.followers.clear();
    for (const r of this.replicaList) {
      if (r === this.leaderId) continue;
      this.followers.set(r, old.get(r) ?? initialFollowerState(inIsr.has(r), nowMs));
    }
  }
}
