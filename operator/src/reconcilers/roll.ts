/**
 * Rolling restarts, decided purely from what was observed. The broker StatefulSet uses
 * updateStrategy OnDelete, so a template change restarts nothing by itself; the operator
 * deletes one stale pod at a time and the StatefulSet controller recreates it from the new
 * template. Rules (the issue's):
 *
 * - followers first, the active controller last (one controller failover per roll, not one
 *   per restarted broker);
 * - one at a time: nothing is deleted while any broker pod is missing, terminating or not
 *   ready (a broker's /readyz includes "every partition I follow is in its ISR");
 * - nothing is deleted while the cluster reports an under-replicated partition, or while the
 *   cluster's metadata cannot be read (then we cannot know);
 * - a broker not ready for longer than `stuckAfterMs` stops the roll: the decision becomes
 *   `stuck` (a Degraded condition) and no further pod is touched until it recovers.
 */

export interface PodView {
  readonly ordinal: number;
  readonly name: string;
  readonly ready: boolean;
  /** metadata.deletionTimestamp is set. */
  readonly terminating: boolean;
  /** When the pod last became not ready (or was created, if never ready); ms since epoch. */
  readonly notReadySinceMs: number | null;
  /** The pod's template-hash annotation (null: none). */
  readonly templateHash: string | null;
}

export interface RollInput {
  readonly replicas: number;
  readonly desiredHash: string;
  /** Pods that exist, any ordinal. */
  readonly pods: readonly PodView[];
  /** Active controller's broker id (= ordinal), or -1 / null when unknown. */
  readonly controllerId: number | null;
  /** Under-replicated partitions, or null when the cluster's metadata could not be read. */
  readonly underReplicated: number | null;
  readonly now: number;
  readonly stuckAfterMs: number;
}

export type RollDecision =
  | { readonly action: 'idle' }
  | { readonly action: 'wait'; readonly reason: string; readonly stale: number }
  | { readonly action: 'restart'; readonly ordinal: number; readonly podName: string; readonly stale: number }
  | { readonly action: 'stuck'; readonly ordinal: number; readonly reason: string; readonly stale: number };

/** Stale ordinals in restart order: followers (highest ordinal first), the controller last. Pure. */
export function rollOrder(staleOrdinals: readonly number[], controllerId: number | null): number[] {
  const followers = staleOrdinals.filter((o) => o !== controllerId).sort((a, b) => b - a);
  const controller = staleOrdinals.filter((o) => o === controllerId);
  return [...followers, ...controller];
}

/** A broker pod that has been unavailable for too long, if any. Pure. */
export function stuckBroker(input: Pick<RollInput, 'pods' | 'replicas' | 'now' | 'stuckAfterMs'>): PodView | null {
  for (const p of input.pods) {
    if (p.ordinal >= input.replicas || p.ready) continue;
    if (p.notReadySinceMs !== null && input.now - p.notReadySinceMs > input.stuckAfterMs) return p;
  }
  return null;
}

export function decideRoll(input: RollInput): RollDecision {
  const inRange = input.pods.filter((p) => p.ordinal < input.replicas);
  const stale = inRange.filter((p) => p.templateHash !== input.desiredHash);
  const n = stale.length;
  if (n === 0) return { action: 'idle' };

  const stuck = stuckBroker(input);
  if (stuck !== null) {
    return { action: 'stuck', ordinal: stuck.ordinal, reason: `broker ${stuck.ordinal} (${stuck.name}) has not been ready for ${Math.round((input.now - (stuck.notReadySinceMs ?? input.now)) / 1000)} s; the rolling restart is stopped`, stale: n };
  }
  const present = new Set(inRange.map((p) => p.ordinal));
  for (let o = 0; o < input.replicas; o++) {
    if (!present.has(o)) return { action: 'wait', reason: `broker ${o} has no pod yet`, stale: n };
  }
  const unavailable = inRange.find((p) => p.terminating || !p.ready);
  if (unavailable !== undefined) {
    return { action: 'wait', reason: `broker ${unavailable.ordinal} is ${unavailable.terminating ? 'terminating' : 'not ready'}`, stale: n };
  }
  if (input.underReplicated === null) return { action: 'wait', reason: 'cluster metadata unavailable', stale: n };
  if (input.underReplicated > 0) return { action: 'wait', reason: `${input.underReplicated} partition(s) under-replicated`, stale: n };

  const next = rollOrder(stale.map((p) => p.ordinal), input.controllerId)[0];
  const pod = stale.find((p) => p.ordinal === next);
  if (next === undefined || pod === undefined) return { action: 'idle' };
  return { action: 'restart', ordinal: next, podName: pod.name, stale: n };
}
