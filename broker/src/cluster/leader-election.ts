/**
 * Pure leader/ISR decisions of the active controller (no I/O; see cluster-controller.ts for
 * the loop that applies them with CAS writes). They follow classic Kafka / KRaft:
 *
 * - Only a *usable* broker (live in the registry and not in controlled shutdown) may lead or
 *   stay in an ISR. The leader is elected from ISR ∩ usable, in replica order (the preferred
 *   replica first), preferring replicas a reassignment keeps over those it removes.
 * - A dead or shutting-down broker is dropped from the ISR, except that an ISR never becomes
 *   empty: when its last member goes, it stays the sole member and the partition goes offline
 *   (leader -1), as KRaft does when it fences the last ISR member (the "last known ISR", so
 *   that member is elected cleanly when it comes back; KIP-966 builds on the same rule).
 * - A shutting-down leader with no other usable ISR member keeps leading: moving leadership
 *   to nobody would make the partition unavailable before the broker has even stopped.
 * - With unclean.leader.election.enable, a partition with no usable ISR member elects any
 *   usable replica, whose log becomes the truth (ISR = [it]); data may be lost.
 * - Every leader change bumps leaderEpoch; every change bumps partitionEpoch.
 */
import type { PartitionState } from './types.js';

export interface BrokerView {
  /** Brokers with a live registration (session not expired). */
  readonly live: ReadonlySet<number>;
  /** Live brokers in controlled shutdown. */
  readonly shuttingDown: ReadonlySet<number>;
}

export function isUsable(view: BrokerView, id: number): boolean {
  return view.live.has(id) && !view.shuttingDown.has(id);
}

/** Replicas in election preference order: replica order, replicas being removed last. */
export function electionOrder(s: PartitionState): number[] {
  const removing = new Set(s.removingReplicas);
  return [...s.replicas.filter((b) => !removing.has(b)), ...s.replicas.filter((b) => removing.has(b))];
}

/** The usable ISR member to lead, or -1. */
export function electFromIsr(s: PartitionState, view: BrokerView): number {
  const isr = new Set(s.isr);
  return electionOrder(s).find((b) => isr.has(b) && isUsable(view, b)) ?? -1;
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Fills in the epochs of a successor state and checks its invariants. */
export function successor(prev: PartitionState, change: Pick<PartitionState, 'leader' | 'isr'> & Partial<PartitionState>): PartitionState {
  const next: PartitionState = {
    ...prev,
    ...change,
    leaderEpoch: change.leader !== prev.leader ? prev.leaderEpoch + 1 : prev.leaderEpoch,
    partitionEpoch: prev.partitionEpoch + 1,
  };
  checkTransition(prev, next);
  return next;
}

/** Throws if `next` may not follow `prev` (epochs only increase; leader ∈ ISR ⊆ replicas; ISR non-empty). */
export function checkTransition(prev: PartitionState, next: PartitionState): void {
  const where = `${next.topic}-${next.partition}`;
  if (next.partitionEpoch <= prev.partitionEpoch) throw new Error(`${where}: partitionEpoch must increase (${prev.partitionEpoch} -> ${next.partitionEpoch})`);
  if (next.leaderEpoch < prev.leaderEpoch) throw new Error(`${where}: leaderEpoch went back (${prev.leaderEpoch} -> ${next.leaderEpoch})`);
  if (next.leader !== prev.leader && next.leaderEpoch <= prev.leaderEpoch) throw new Error(`${where}: leader changed without a new leaderEpoch`);
  checkState(next);
}

export function checkState(s: PartitionState): void {
  const where = `${s.topic}-${s.partition}`;
  const replicas = new Set(s.replicas);
  if (replicas.size !== s.replicas.length || s.replicas.length === 0) throw new Error(`${where}: replicas must be non-empty and distinct`);
  if (s.isr.length === 0) throw new Error(`${where}: ISR must not be empty`);
  if (!s.isr.every((b) => replicas.has(b))) throw new Error(`${where}: ISR ${s.isr.join(',')} not within replicas ${s.replicas.join(',')}`);
  if (s.leader !== -1 && !s.isr.includes(s.leader)) throw new Error(`${where}: leader ${s.leader} not in ISR`);
  if (!s.addingReplicas.every((b) => replicas.has(b)) || !s.removingReplicas.every((b) => replicas.has(b))) {
    throw new Error(`${where}: adding/removing replicas must be within replicas`);
  }
}

/**
 * The state a partition should move to given broker liveness, or null if it is fine.
 * Idempotent: applying it to its own result yields null.
 */
export function reconcileLeadership(s: PartitionState, view: BrokerView, unclean: boolean): PartitionState | null {
  const replicas = new Set(s.replicas);
  const isr = s.isr.filter((b) => replicas.has(b));
  const cur: PartitionState = { ...s, isr };
  let leader = s.leader;
  let nextIsr: number[] = isr;
  const leaderFine = leader !== -1 && isUsable(view, leader) && isr.includes(leader);
  if (!leaderFine) {
    const elected = electFromIsr(cur, view);
    if (elected !== -1) leader = elected;
    else if (leader !== -1 && view.live.has(leader) && isr.includes(leader)) {
      // Shutting down, and nobody else can take over: keep serving until it stops.
    } else if (unclean && electionOrder(cur).some((b) => isUsable(view, b))) {
      leader = electionOrder(cur).find((b) => isUsable(view, b)) ?? -1;
      nextIsr = [leader];
    } else leader = -1;
  }
  if (nextIsr === isr) {
    nextIsr = isr.filter((b) => b === leader || isUsable(view, b));
    if (nextIsr.length === 0) {
      // Never empty: the last member stays, preferably the last leader (most likely complete).
      const keep = isr.includes(s.leader) ? s.leader : (isr[0] ?? s.replicas[0]);
      nextIsr = keep === undefined ? [] : [keep];
    }
  }
  nextIsr = [...nextIsr].sort((a, b) => a - b);
  if (leader === s.leader && sameMembers(nextIsr, [...s.isr].sort((a, b) => a - b))) return null;
  return successor(s, { leader, isr: nextIsr });
}

export type ElectionOutcome =
  | { readonly kind: 'elected'; readonly state: PartitionState }
  | { readonly kind: 'error'; readonly error: 'ELECTION_NOT_NEEDED' | 'PREFERRED_LEADER_NOT_AVAILABLE' | 'ELIGIBLE_LEADERS_NOT_AVAILABLE'; readonly message: string };

/** ElectLeaders PREFERRED: move leadership to replicas[0] if it is usable and in the ISR. */
export function electPreferred(s: PartitionState, view: BrokerView): ElectionOutcome {
  const preferred = s.replicas[0] ?? -1;
  if (s.leader === preferred) return { kind: 'error', error: 'ELECTION_NOT_NEEDED', message: `Leader is already the preferred replica ${preferred}.` };
  if (!s.isr.includes(preferred) || !isUsable(view, preferred)) {
    return { kind: 'error', error: 'PREFERRED_LEADER_NOT_AVAILABLE', message: `Preferred replica ${preferred} is not alive or not in the ISR.` };
  }
  return { kind: 'elected', state: successor(s, { leader: preferred, isr: s.isr }) };
}

/** ElectLeaders UNCLEAN: only for a partition without a usable leader; ISR first, then any usable replica. */
export function electUnclean(s: PartitionState, view: BrokerView): ElectionOutcome {
  if (s.leader !== -1 && isUsable(view, s.leader)) return { kind: 'error', error: 'ELECTION_NOT_NEEDED', message: `Partition already has leader ${s.leader}.` };
  const next = reconcileLeadership(s, view, true);
  if (!next || next.leader === -1) return { kind: 'error', error: 'ELIGIBLE_LEADERS_NOT_AVAILABLE', message: 'No replica of the partition is alive.' };
  return { kind: 'elected', state: next };
}
