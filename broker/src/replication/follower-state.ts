/**
 * Pure replication decisions (no I/O, no clocks of their own), so they can be property tested:
 *
 * - what a leader learns from a follower's Fetch (Kafka's Replica.updateFetchState: the
 *   follower's LEO is its fetch offset; it is "caught up" at the time of a fetch that reached
 *   the leader's LEO, or at the previous fetch's time if this fetch reached the LEO the leader
 *   had then);
 * - ISR shrink (replica.lag.time.max.ms: out when not caught up for longer than that) and
 *   expand (back in once its LEO reaches the HW and the current leader epoch's start);
 * - where a follower truncates given the leader's answer for an epoch (KIP-101/279).
 */
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, type EpochEndOffset } from '../storage/leader-epoch-cache.js';

export interface FollowerState {
  /** The follower's log end offset as last reported by its fetch offset; -1 = not yet known. */
  readonly leo: number;
  /** When the follower last had everything the leader had (ms); drives ISR shrink. */
  readonly lastCaughtUpTimeMs: number;
  /** Time and leader LEO of the previous fetch (Kafka's lastFetchTimeMs / lastFetchLeaderLogEndOffset). */
  readonly lastFetchTimeMs: number;
  readonly lastFetchLeaderLeo: number;
}

/**
 * State of a follower when a leader takes over: its LEO is unknown until it fetches. ISR
 * members count as caught up now, so they get a full lag period to show up (as Kafka).
 */
export function initialFollowerState(inIsr: boolean, nowMs: number): FollowerState {
  return { leo: -1, lastCaughtUpTimeMs: inIsr ? nowMs : 0, lastFetchTimeMs: nowMs, lastFetchLeaderLeo: -1 };
}

export function afterFetch(s: FollowerState, fetchOffset: number, leaderLeo: number, nowMs: number): FollowerState {
  let caughtUp = s.lastCaughtUpTimeMs;
  if (fetchOffset >= leaderLeo) caughtUp = Math.max(caughtUp, nowMs);
  else if (fetchOffset >= s.lastFetchLeaderLeo && s.lastFetchLeaderLeo >= 0) caughtUp = Math.max(caughtUp, s.lastFetchTimeMs);
  return { leo: fetchOffset, lastCaughtUpTimeMs: caughtUp, lastFetchTimeMs: nowMs, lastFetchLeaderLeo: leaderLeo };
}

/** Kafka's isCaughtUp negation: out of the ISR when lagging for longer than `lagMaxMs`. */
export function shouldShrink(s: FollowerState, nowMs: number, lagMaxMs: number): boolean {
  return nowMs - s.lastCaughtUpTimeMs > lagMaxMs;
}

/**
 * A follower rejoins once it has everything committed (LEO >= HW) and everything written in
 * the current leader epoch up to its start (so a new leader never counts a replica holding a
 * divergent older tail).
 */
export function shouldExpand(followerLeo: number, highWatermark: number, leaderEpochStartOffset: number): boolean {
  return followerLeo >= 0 && followerLeo >= highWatermark && followerLeo >= leaderEpochStartOffset;
}

/**
 * The leader's proposed ISR: followers of `isr` that lag too long removed, and `fetchedBy`
 * (the follower whose fetch prompted this, or -1 for the periodic check) added if caught up.
 * As Kafka, only a fetching follower can rejoin: a dead one's last LEO may still equal an idle
 * partition's HW. Returns null when nothing changes. The leader always stays in.
 */
export function proposeIsr(
  leaderId: number,
  isr: readonly number[],
  replicas: readonly number[],
  followers: ReadonlyMap<number, FollowerState>,
  highWatermark: number,
  leaderEpochStartOffset: number,
  nowMs: number,
  lagMaxMs: number,
  fetchedBy = -1,
): number[] | null {
  const inIsr = new Set(isr);
  const next: number[] = [];
  let changed = !inIsr.has(leaderId);
  for (const r of replicas) {
    if (r === leaderId) {
      next.push(r);
      continue;
    }
    const s = followers.get(r);
    if (inIsr.has(r)) {
      if (s !== undefined && shouldShrink(s, nowMs, lagMaxMs)) changed = true;
      else next.push(r);
    } else if (r === fetchedBy && s !== undefined && shouldExpand(s.leo, highWatermark, leaderEpochStartOffset)) {
      next.push(r);
      changed = true;
    }
  }
  if (!next.includes(leaderId)) next.push(leaderId);
  // ISR members that are no longer replicas (reassignment) are the controller's to remove.
  for (const r of isr) if (!next.includes(r) && !replicas.includes(r)) next.push(r);
  return changed ? next.sort((a, b) => a - b) : null;
}

export interface TruncationDecision {
  /** Truncate the follower's log to this offset (no-op when >= its LEO). */
  readonly offset: number;
  /** False: truncate, then ask the leader again with the follower's new latest epoch. */
  readonly done: boolean;
}

/**
 * Kafka's AbstractFetcherThread.getTruncationOffset: `leader` is the leader's (epoch, end
 * offset) for the follower's latest epoch (OffsetForLeaderEpoch or a Fetch's divergingEpoch);
 * `ownEndFor(epoch)` is the follower's own cache lookup for that epoch.
 */
export function truncationOffset(
  leader: EpochEndOffset,
  ownEndFor: (epoch: number) => EpochEndOffset,
  followerLeo: number,
  followerHw: number,
): TruncationDecision {
  if (leader.endOffset === UNDEFINED_EPOCH_OFFSET) {
    // The leader knows no such epoch (or none at all): keep only what was committed.
    return { offset: Math.min(Math.max(followerHw, 0), followerLeo), done: true };
  }
  if (leader.epoch === UNDEFINED_EPOCH) return { offset: Math.min(leader.endOffset, followerLeo), done: true };
  const own = ownEndFor(leader.epoch);
  if (own.endOffset === UNDEFINED_EPOCH_OFFSET || own.epoch === UNDEFINED_EPOCH) {
    // No epochs of our own there (older data): the leader's offset is safe since its epoch < ours.
    return { offset: Math.min(leader.endOffset, followerLeo), done: true };
  }
  if (own.epoch !== leader.epoch) {
    // We never saw the leader's epoch: cut to the end of our largest smaller epoch and ask again.
    return { offset: Math.min(own.endOffset, followerLeo), done: false };
  }
  return { offset: Math.min(leader.endOffset, own.endOffset, followerLeo), done: true };
}
