/**
 * The coordinator's shared state and the rebalance machinery every API path uses: session
 * timers, the delayed join (initial delay / rebalance timeout), the pending-sync timeout,
 * member removal, assignment propagation, and writing group metadata. Kafka keeps these in
 * GroupCoordinator; here they sit apart from the per-API code so each file stays readable.
 *
 * Every parked JoinGroup / SyncGroup response is completed by one of: the rebalance finishing,
 * the rebalance timeout, the member's removal, a partition unload, or shutdown — so no
 * response waits unboundedly.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { GroupMetadataValue } from '../protocol/messages/consumer-offsets-records.js';
import { Group } from './group.js';
import { assertInvariant, GroupState } from './group-state.js';
import { appendErrorCode, groupStoreError, GroupStore } from './group-store.js';
import type { Member } from './member.js';
import { partitionFor } from './partitioner.js';
import type { GroupCoordinatorConfig, JoinGroupResult, Scheduler, SyncGroupResult } from './types.js';

const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class CoordinatorCore {
  readonly groups = new Map<string, Group>();
  readonly ownedPartitions = new Set<number>();
  readonly loadingPartitions = new Set<number>();
  active = false;

  constructor(
    readonly config: GroupCoordinatorConfig,
    readonly scheduler: Scheduler,
    readonly store: GroupStore,
    readonly logger?: Logger,
  ) {}

  now(): number {
    return this.scheduler.now();
  }

  partitionOf(groupId: string): number {
    return partitionFor(groupId, this.config.offsetsTopicPartitions);
  }

  /**
   * Kafka's validateGroupStatus. JoinGroup/SyncGroup/Heartbeat/LeaveGroup/OffsetDelete need a
   * non-empty group id; OffsetCommit/OffsetFetch/DescribeGroups/DeleteGroups accept "".
   */
  validateGroupStatus(groupId: string, allowEmptyId: boolean): number | null {
    if (!allowEmptyId && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const p = this.partitionOf(groupId);
    if (this.loadingPartitions.has(p)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.ownedPartitions.has(p)) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  /** The live group, if any (a Dead group object is never in the map). */
  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  getOrCreateGroup(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = new Group(groupId, this.now());
      this.groups.set(groupId, g);
    }
    return g;
  }

  /** Is `group` still the object the coordinator serves (not Dead, not replaced by a reload)? */
  isLive(group: Group): boolean {
    return !group.is(GroupState.Dead) && this.groups.get(group.groupId) === group;
  }

  // ---------------- session timeouts ----------------

  completeAndScheduleNextHeartbeat(group: Group, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    member.cancelSessionTimer();
    member.sessionTimer = this.scheduler.schedule(timeoutMs, () => {
      member.sessionTimer = null;
      this.onExpireHeartbeat(group, member);
    });
  }

  private onExpireHeartbeat(group: Group, member: Member): void {
    if (!this.isLive(group) || group.members.get(member.memberId) !== member) return;
    if (member.hasSatisfiedHeartbeat) return;
    this.logger?.info({ groupId: group.groupId, memberId: member.memberId }, 'member session expired; removing it');
    this.removeMemberAndUpdateGroup(group, member, 'session timeout expired');
  }

  addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = this.scheduler.schedule(sessionTimeoutMs, () => {
      if (!this.isLive(group) || group.pendingMembers.get(memberId) !== timer) return;
      this.removePendingMemberAndUpdateGroup(group, memberId);
    });
    group.pendingMembers.get(memberId)?.cancel();
    group.pendingMembers.set(memberId, timer);
  }

  removePendingMemberAndUpdateGroup(group: Group, memberId: string): void {
    group.remove(memberId);
    if (group.is(GroupState.PreparingRebalance)) this.tryCompleteJoin(group);
  }

  // ---------------- parked responses ----------------

  invokeJoin(member: Member, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin;
    if (cb === null) return false;
    member.awaitingJoin = null;
    member.isNew = false;
    cb(result);
    return true;
  }

  invokeSync(member: Member, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (cb === null) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  // ---------------- rebalance ----------------

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.is(GroupState.Stable) || group.is(GroupState.CompletingRebalance) || group.is(GroupState.Empty)) {
      this.prepareRebalance(group, reason);
    }
  }

  prepareRebalance(group: Group, reason: string): void {
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.joinTimer?.cancel();
    const wasEmpty = group.is(GroupState.Empty);
    group.transitionTo(GroupState.PreparingRebalance, this.now());
    this.logger?.info({ groupId: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    if (wasEmpty) {
      // group.initial.rebalance.delay.ms: let a starting fleet of consumers join one rebalance.
      const delay = this.config.groupInitialRebalanceDelayMs;
      group.initialDelayActive = true;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      group.initialDelayActive = false;
      this.scheduleDelayedJoin(group);
      this.tryCompleteJoin(group);
    }
  }

  /** Kafka's InitialDelayedJoin: extends itself while new members keep arriving, up to the rebalance timeout. */
  private scheduleInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    const timer = this.scheduler.schedule(delayMs, () => {
      if (!this.isLive(group) || group.joinTimer !== timer) return;
      group.joinTimer = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const delay = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, delay, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
    group.joinTimer = timer;
  }

  /** Kafka's DelayedJoin: completes early once every member rejoined, else at the rebalance timeout. */
  private scheduleDelayedJoin(group: Group): void {
    const timer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      if (!this.isLive(group) || group.joinTimer !== timer) return;
      group.joinTimer = null;
      this.completeJoin(group);
    });
    group.joinTimer = timer;
  }

  tryCompleteJoin(group: Group): void {
    if (group.is(GroupState.PreparingRebalance) && !group.initialDelayActive && group.hasAllMembersJoined()) {
      this.completeJoin(group);
    }
  }

  /** Kafka's onCompleteJoin: drop members that did not rejoin, start the next generation, answer every parked JoinGroup. */
  completeJoin(group: Group): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.initialDelayActive = false;
    if (!this.isLive(group)) return;
    assertInvariant(group.is(GroupState.PreparingRebalance), `group ${group.groupId}: completeJoin in ${group.state}`);
    for (const m of [...group.members.values()]) {
      // Static members keep their place across a missed rebalance; dynamic ones are gone.
      if (m.awaitingJoin === null && !m.isStatic) group.remove(m.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined remain: wait another rebalance timeout
      // for them (their session timers will remove them if they are really gone).
      this.logger?.warn({ groupId: group.groupId }, 'no member rejoined; extending the rebalance');
      this.scheduleDelayedJoin(group);
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is(GroupState.Empty)) {
      void this.storeGroupQuietly(group, new Map());
      return;
    }
    this.logger?.info({ groupId: group.groupId, generation: group.generationId, members: group.members.size }, 'group rebalanced');
    const leader = group.leaderId ?? '';
    for (const m of group.members.values()) {
      this.invokeJoin(m, {
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader,
        skipAssignment: false,
        memberId: m.memberId,
        members: group.isLeader(m.memberId) ? group.currentMemberMetadata() : [],
      });
      this.completeAndScheduleNextHeartbeat(group, m);
      m.isNew = false;
    }
    this.schedulePendingSync(group);
  }

  /** Members that got a JoinGroup response must send SyncGroup within the rebalance timeout. */
  private schedulePendingSync(group: Group): void {
    group.syncTimer?.cancel();
    const generation = group.generationId;
    const timer = this.scheduler.schedule(group.rebalanceTimeoutMs, () => {
      if (!this.isLive(group) || group.syncTimer !== timer || group.generationId !== generation) return;
      group.syncTimer = null;
      if (!(group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable))) return;
      if (group.pendingSyncMembers.size === 0) return;
      const missing = [...group.pendingSyncMembers];
      this.logger?.info({ groupId: group.groupId, missing }, 'members did not send SyncGroup in time; removing them');
      for (const id of missing) {
        const m = group.members.get(id);
        if (m !== undefined) this.invokeJoin(m, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
        group.remove(id);
      }
      this.prepareRebalance(group, 'pending SyncGroup expired');
    });
    group.syncTimer = timer;
  }

  removeSyncExpiration(group: Group): void {
    group.syncTimer?.cancel();
    group.syncTimer = null;
  }

  /** Kafka's removeMemberAndUpdateGroup (leave, session expiry). */
  removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    // A parked response must not outlive its member: answer it so the client can rejoin.
    this.invokeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    this.invokeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.maybePrepareRebalance(group, reason);
        break;
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    assertInvariant(group.is(GroupState.CompletingRebalance), `group ${group.groupId}: reset assignment in ${group.state}`);
    for (const m of group.members.values()) m.assignment = EMPTY;
    this.propagateAssignment(group, errorCode);
  }

  propagateAssignment(group: Group, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const delivered = this.invokeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: ok ? m.assignment : EMPTY,
      });
      // The session clock restarts once a member has its answer (it may have expired while parked).
      if (delivered) this.completeAndScheduleNextHeartbeat(group, m);
    }
  }

  // ---------------- group metadata records ----------------

  groupMetadataValue(group: Group, assignments: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocol = group.protocolName;
    return {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol !== null && m.supports(protocol) ? m.metadata(protocol) : EMPTY,
        assignment: assignments.get(m.memberId) ?? EMPTY,
      })),
    };
  }

  /** Write the group's metadata record; resolves to an error code (NONE on success). */
  async storeGroup(group: Group, assignments: ReadonlyMap<string, Buffer>): Promise<number> {
    const record = this.store.groupRecord(group.groupId, this.groupMetadataValue(group, assignments));
    try {
      await this.store.append(this.partitionOf(group.groupId), [record]);
      return ErrorCode.NONE;
    } catch (err) {
      this.logger?.warn({ groupId: group.groupId, err }, 'writing group metadata failed');
      return groupStoreError(appendErrorCode(err));
    }
  }

  async storeGroupQuietly(group: Group, assignments: ReadonlyMap<string, Buffer>): Promise<void> {
    await this.storeGroup(group, assignments);
  }
}
