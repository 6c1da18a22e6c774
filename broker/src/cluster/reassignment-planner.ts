/**
 * Pure partition-reassignment steps (KIP-455), applied by the controller with CAS writes:
 *
 *   start:    replicas = target ++ (original − target), addingReplicas = target − original,
 *             removingReplicas = original − target. The leader fetches for every replica, so
 *             the new ones start copying the log.
 *   progress: once every adding replica is in the ISR, finish in one step: replicas = target,
 *             ISR ∩= target, leadership moved into the target if the leader is being removed
 *             (new leaderEpoch), adding/removing cleared. Removed replicas then see they are no
 *             longer in `replicas` and delete their logs.
 *   cancel:   back to the original replicas (replicas − adding).
 *
 * A new target for a partition already moving replaces the old one, computed from the
 * original replica set (as Kafka does), so replicas added by the abandoned move are dropped.
 */
import { electionOrder, isUsable, successor, type BrokerView } from './leader-election.js';
import type { PartitionState } from './types.js';

export type PlanOutcome =
  | { readonly kind: 'write'; readonly state: PartitionState }
  | { readonly kind: 'noop' }
  | { readonly kind: 'error'; readonly error: 'INVALID_REPLICA_ASSIGNMENT' | 'NO_REASSIGNMENT_IN_PROGRESS'; readonly message: string };

export function isReassigning(s: PartitionState): boolean {
  return s.addingReplicas.length > 0 || s.removingReplicas.length > 0;
}

/** The replica set before the ongoing reassignment (if any) started. */
export function originalReplicas(s: PartitionState): number[] {
  const adding = new Set(s.addingReplicas);
  return s.replicas.filter((b) => !adding.has(b));
}

/** The replica set the ongoing reassignment (if any) moves to, in target order. */
export function targetReplicas(s: PartitionState): number[] {
  const removing = new Set(s.removingReplicas);
  return s.replicas.filter((b) => !removing.has(b));
}

/** Keeps the leader if it stays a usable ISR member, else elects from the new ISR (-1 if none). */
function leaderWithin(s: PartitionState, replicas: readonly number[], isr: readonly number[], view: BrokerView): number {
  if (s.leader !== -1 && replicas.includes(s.leader) && isr.includes(s.leader)) return s.leader;
  return replicas.find((b) => isr.includes(b) && isUsable(view, b)) ?? -1;
}

/**
 * Start, replace or (target null) cancel a reassignment. `isRegistered` validates target ids.
 * The result may already be complete (pure removal/reorder with the target in sync).
 */
export function planReassignment(s: PartitionState, target: readonly number[] | null, view: BrokerView, isRegistered: (id: number) => boolean): PlanOutcome {
  const orig = originalReplicas(s);
  if (target === null) {
    if (!isReassigning(s)) return { kind: 'error', error: 'NO_REASSIGNMENT_IN_PROGRESS', message: 'No reassignment is in progress for this partition.' };
    return finishAt(s, orig, view, 'Cannot cancel: no original replica is in the ISR.');
  }
  if (target.length === 0) return { kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT', message: 'The replica list is empty.' };
  if (new Set(target).size !== target.length) return { kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT', message: 'The replica list contains duplicates.' };
  const unknown = target.find((b) => !isRegistered(b));
  if (unknown !== undefined) return { kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT', message: `Broker ${unknown} is not registered.` };
  const adding = target.filter((b) => !orig.includes(b));
  const removing = orig.filter((b) => !target.includes(b));
  if (adding.length === 0) return finishAt(s, [...target], view, 'Cannot reassign: no replica of the target is in the ISR.');
  const replicas = [...target, ...removing];
  const isr = s.isr.filter((b) => replicas.includes(b));
  const leader = leaderWithin(s, replicas, isr, view);
  const next = { leader, isr: isr.length > 0 ? isr : [...s.isr], replicas, addingReplicas: adding, removingReplicas: removing };
  if (next.isr.some((b) => !replicas.includes(b))) {
    return { kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT', message: 'Cannot reassign: no remaining replica is in the ISR.' };
  }
  return { kind: 'write', state: successor(s, next) };
}

/** Finish (or cancel) at `replicas` if a member of it is in the ISR; noop when already there. */
function finishAt(s: PartitionState, replicas: number[], view: BrokerView, failure: string): PlanOutcome {
  const isr = s.isr.filter((b) => replicas.includes(b));
  if (isr.length === 0) return { kind: 'error', error: 'INVALID_REPLICA_ASSIGNMENT', message: failure };
  const leader = leaderWithin(s, replicas, isr, view);
  const unchanged = !isReassigning(s) && leader === s.leader && replicas.every((b, i) => s.replicas[i] === b) && replicas.length === s.replicas.length;
  if (unchanged) return { kind: 'noop' };
  return { kind: 'write', state: successor(s, { leader, isr, replicas, addingReplicas: [], removingReplicas: [] }) };
}

/**
 * The next step of an ongoing reassignment, or null while waiting (adding replicas not yet in
 * the ISR, or no usable target replica to lead yet).
 */
export function progressReassignment(s: PartitionState, view: BrokerView): PartitionState | null {
  if (!isReassigning(s)) return null;
  if (!s.addingReplicas.every((b) => s.isr.includes(b))) return null;
  const target = targetReplicas(s);
  const isr = s.isr.filter((b) => target.includes(b));
  if (isr.length === 0) return null;
  let leader = s.leader;
  if (!target.includes(leader) || !isUsable(view, leader)) {
    const moved = electionOrder({ ...s, replicas: target, removingReplicas: [] }).find((b) => isr.includes(b) && isUsable(view, b));
    // A leader being removed hands over only to a usable target replica; wait for one.
    if (moved === undefined) {
      if (!target.includes(leader)) return null;
    } else leader = moved;
  }
  return successor(s, { leader, isr, replicas: target, addingReplicas: [], removingReplicas: [] });
}
