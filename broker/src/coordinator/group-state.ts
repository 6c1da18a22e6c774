/**
 * The classic group protocol's states and the transitions Kafka allows between them
 * (kafka.coordinator.group.GroupState). Pure data: the Group class asserts every transition
 * against this table so an impossible move is a loud bug, not a silently wrong group.
 */

export const GroupState = {
  /** No members; the group may still hold committed offsets. */
  Empty: 'Empty',
  /** A rebalance started: members must (re)join within the rebalance timeout. */
  PreparingRebalance: 'PreparingRebalance',
  /** Everyone joined; waiting for the leader's assignment via SyncGroup. */
  CompletingRebalance: 'CompletingRebalance',
  /** Assignment handed out; members heartbeat. */
  Stable: 'Stable',
  /** Removed (deleted, expired, or its partition unloaded); the object is no longer served. */
  Dead: 'Dead',
} as const;

export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

export const ALL_GROUP_STATES: readonly GroupStateName[] = Object.values(GroupState);

/** For each target state, the states it may be entered from (Kafka's validPreviousStates). */
const VALID_PREVIOUS: Readonly<Record<GroupStateName, readonly GroupStateName[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export function canTransition(from: GroupStateName, to: GroupStateName): boolean {
  return VALID_PREVIOUS[to].includes(from);
}

/** A broken invariant of the coordinator itself (never a client error). */
export class GroupInvariantError extends Error {
  override readonly name = 'GroupInvariantError';
}

export function assertInvariant(cond: boolean, message: string): asserts cond {
  if (!cond) throw new GroupInvariantError(message);
}

/** ListGroups' states filter matches case-insensitively, as Kafka 3.x does. */
export function parseStatesFilter(states: readonly string[]): ReadonlySet<string> {
  return new Set(states.map((s) => s.toLowerCase()));
}
