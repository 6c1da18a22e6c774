/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup for classic groups, following Kafka's
 * GroupCoordinator (handleJoinGroup and friends) decision by decision, including the error
 * each client library expects in each state.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.js';
import type { Group } from './group.js';
import { GroupState } from './group-state.js';
import { Member, type JoinCallback } from './member.js';
import { joinError, syncError, type CoordinatorCore } from './rebalance.js';
import type {
  HeartbeatParams,
  JoinGroupParams,
  JoinGroupResult,
  LeaveGroupParams,
  LeaveGroupResult,
  SyncGroupParams,
  SyncGroupResult,
} from './types.js';

// ---------------- JoinGroup ----------------

export function joinGroup(core: CoordinatorCore, req: JoinGroupParams): Promise<JoinGroupResult> {
  return new Promise<JoinGroupResult>((resolve) => {
    const status = core.validateGroupStatus(req.groupId, false);
    if (status !== null) return resolve(joinError(req.memberId, status));
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = core.config;
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
      return resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = req.memberId === '';
    // A known member id for a group that does not exist is stale; only newcomers create groups.
    const group = isUnknownMember ? core.getOrCreateGroup(req.groupId) : core.group(req.groupId);
    if (group === undefined) return resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    if (!acceptJoiningMember(core, group, req.memberId)) {
      group.remove(req.memberId);
      return resolve(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    const params = { ...req, rebalanceTimeoutMs: req.rebalanceTimeoutMs < 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs };
    if (isUnknownMember) newMemberJoin(core, group, params, resolve);
    else currentMemberJoin(core, group, params, resolve);
    if (group.is(GroupState.PreparingRebalance)) core.tryCompleteJoin(group);
  });
}

/** group.max.size: a full group refuses newcomers but keeps serving its members. */
function acceptJoiningMember(core: CoordinatorCore, group: Group, memberId: string): boolean {
  const maxSize = core.config.groupMaxSize;
  switch (group.state) {
    case GroupState.Empty:
    case GroupState.Dead:
      return true;
    case GroupState.PreparingRebalance: {
      const m = group.members.get(memberId);
      return (m !== undefined && m.awaitingJoin !== null) || group.numAwaitingJoin < maxSize;
    }
    default:
      return group.has(memberId) || group.members.size < maxSize;
  }
}

function newMemberJoin(core: CoordinatorCore, group: Group, req: JoinGroupParams, cb: JoinCallback): void {
  if (!core.isLive(group)) return cb(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) return cb(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  // Kafka's member id format: "<group.instance.id or client.id>-<uuid>".
  const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
  if (req.groupInstanceId !== null) {
    const oldMemberId = group.currentStaticMemberId(req.groupInstanceId);
    if (oldMemberId !== undefined) return updateStaticMember(core, group, oldMemberId, newMemberId, req, cb);
    return addMemberAndRebalance(core, group, newMemberId, req, cb);
  }
  if (req.requireKnownMemberId) {
    // KIP-394: hand out the id first so a client that times out and retries does not leave
    // a trail of phantom members in the rebalance.
    core.addPendingMember(group, newMemberId, req.sessionTimeoutMs);
    return cb(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  }
  addMemberAndRebalance(core, group, newMemberId, req, cb);
}

/** Kafka's validateCurrentMember: the instance id must map to this member id; the member must exist. */
export function validateCurrentMember(group: Group, memberId: string, groupInstanceId: string | null): number | null {
  if (groupInstanceId !== null) {
    const current = group.currentStaticMemberId(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
}

function currentMemberJoin(core: CoordinatorCore, group: Group, req: JoinGroupParams, cb: JoinCallback): void {
  const memberId = req.memberId;
  if (!core.isLive(group)) return cb(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) return cb(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  if (group.pendingMembers.has(memberId)) {
    // A pending member is always dynamic; a static one never gets MEMBER_ID_REQUIRED.
    if (req.groupInstanceId !== null) return cb(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    return addMemberAndRebalance(core, group, memberId, req, cb);
  }
  const err = validateCurrentMember(group, memberId, req.groupInstanceId);
  if (err !== null) return cb(joinError(memberId, err));
  const member = group.get(memberId);
  switch (group.state) {
    case GroupState.PreparingRebalance:
      return updateMemberAndRebalance(core, group, member, req, cb, 'member joined during rebalance');
    case GroupState.CompletingRebalance:
      if (member.matches(req.protocols)) {
        // The member lost its JoinGroup response: repeat it for the current generation.
        return cb(currentGenerationResult(group, memberId, group.isLeader(memberId)));
      }
      return updateMemberAndRebalance(core, group, member, req, cb, 'member changed metadata');
    case GroupState.Stable:
      // The leader rejoining forces a rebalance: that is how it reacts to changes (e.g. topic
      // metadata) its members' metadata does not show.
      if (group.isLeader(memberId) || !member.matches(req.protocols)) {
        return updateMemberAndRebalance(core, group, member, req, cb, 'leader rejoined or member changed metadata');
      }
      return cb(currentGenerationResult(group, memberId, false));
    default:
      return cb(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function currentGenerationResult(group: Group, memberId: string, withMembers: boolean, skipAssignment = false): JoinGroupResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment,
    memberId,
    members: withMembers ? group.currentMemberMetadata() : [],
  };
}

function addMemberAndRebalance(core: CoordinatorCore, group: Group, memberId: string, req: JoinGroupParams, cb: JoinCallback): void {
  const member = new Member(
    memberId,
    req.groupInstanceId,
    req.clientId,
    req.clientHost,
    req.rebalanceTimeoutMs,
    req.sessionTimeoutMs,
    req.protocolType,
    req.protocols,
  );
  member.isNew = true;
  // Only a brand-new group's initial delay stretches for further newcomers.
  if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
  group.add(member);
  member.awaitingJoin = cb;
  // A new member cannot heartbeat while its JoinGroup is parked; bound the wait instead so a
  // client that gave up does not linger in the rebalance forever.
  core.completeAndScheduleNextHeartbeat(group, member, core.config.newMemberJoinTimeoutMs);
  core.maybePrepareRebalance(group, `adding new member ${memberId}`);
}

function replaceJoinCallback(core: CoordinatorCore, member: Member, cb: JoinCallback): void {
  // Answer a superseded parked JoinGroup so its connection's ordered responses do not stall.
  core.invokeJoin(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  member.awaitingJoin = cb;
}

function updateMemberAndRebalance(
  core: CoordinatorCore,
  group: Group,
  member: Member,
  req: JoinGroupParams,
  cb: JoinCallback,
  reason: string,
): void {
  member.protocols = req.protocols;
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  member.clientId = req.clientId;
  member.clientHost = req.clientHost;
  replaceJoinCallback(core, member, cb);
  core.maybePrepareRebalance(group, reason);
}

/**
 * A static member came back with an unknown member id (a restart): it takes over the old
 * member's place and assignment. The old id is fenced from now on (FENCED_INSTANCE_ID).
 */
function updateStaticMember(
  core: CoordinatorCore,
  group: Group,
  oldMemberId: string,
  newMemberId: string,
  req: JoinGroupParams,
  cb: JoinCallback,
): void {
  const instanceId = req.groupInstanceId ?? '';
  const currentLeader = group.leaderId ?? '';
  const old = group.get(oldMemberId);
  // Whoever still waits under the old id is a duplicate instance: fence it now.
  core.invokeJoin(old, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  core.invokeSync(old, syncError(ErrorCode.FENCED_INSTANCE_ID));
  const saved = { protocols: old.protocols, rebalance: old.rebalanceTimeoutMs, session: old.sessionTimeoutMs };
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  core.completeAndScheduleNextHeartbeat(group, member);
  member.protocols = req.protocols;
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  member.sessionTimeoutMs = req.sessionTimeoutMs;
  switch (group.state) {
    case GroupState.Stable: {
      if (group.protocolName !== group.selectProtocol()) {
        member.awaitingJoin = cb;
        core.maybePrepareRebalance(group, `static member ${instanceId} rejoined with other protocols`);
        return;
      }
      // Same protocol: no rebalance; persist the new member id, then hand back the current generation.
      const assignments = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
      const generation = group.generationId;
      void core.storeGroup(group, assignments).then((code) => {
        if (code !== ErrorCode.NONE) {
          if (core.isLive(group) && group.members.get(newMemberId) === member) {
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            member.protocols = saved.protocols;
            member.rebalanceTimeoutMs = saved.rebalance;
            member.sessionTimeoutMs = saved.session;
          }
          return cb(joinError(newMemberId, code));
        }
        if (!core.isLive(group) || group.generationId !== generation || !group.has(newMemberId)) {
          return cb(joinError(newMemberId, ErrorCode.REBALANCE_IN_PROGRESS));
        }
        // KIP-814: a v9+ leader learns it leads but must not recompute the assignment; an
        // older client is shown the previous leader id so it acts as a follower and just syncs.
        const isLeader = group.isLeader(newMemberId);
        const skip = isLeader && req.supportSkippingAssignment;
        const result = currentGenerationResult(group, newMemberId, skip, skip);
        cb(skip ? result : { ...result, leader: currentLeader });
      });
      return;
    }
    case GroupState.CompletingRebalance:
      // The leader may already be assigning to the old id: start over so the new id gets a share.
      member.awaitingJoin = cb;
      core.prepareRebalance(group, `static member ${instanceId} rejoined during CompletingRebalance`);
      return;
    case GroupState.PreparingRebalance:
      member.awaitingJoin = cb;
      return;
    default:
      cb(joinError(newMemberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

// ---------------- SyncGroup ----------------

export function syncGroup(core: CoordinatorCore, req: SyncGroupParams): Promise<SyncGroupResult> {
  return new Promise<SyncGroupResult>((resolve) => {
    const status = core.validateGroupStatus(req.groupId, false);
    // A loading coordinator lost the rebalance in progress: REBALANCE_IN_PROGRESS sends the
    // member back to JoinGroup without rediscovering the coordinator (older clients do not
    // expect COORDINATOR_LOAD_IN_PROGRESS here).
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (status !== null) return resolve(syncError(status));
    const group = core.group(req.groupId);
    if (group === undefined) return resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (err !== null) return resolve(syncError(err));
    if (req.generationId !== group.generationId) return resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (
      (req.protocolType !== null && group.protocolType !== req.protocolType) ||
      (req.protocolName !== null && group.protocolName !== req.protocolName)
    ) {
      return resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.get(req.memberId);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.CompletingRebalance:
        core.invokeSync(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = resolve;
        group.pendingSyncMembers.delete(req.memberId);
        if (group.isLeader(req.memberId)) leaderSync(core, group, req);
        return;
      case GroupState.Stable:
        group.pendingSyncMembers.delete(req.memberId);
        core.completeAndScheduleNextHeartbeat(group, member);
        return resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      default:
        return resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  });
}

/** The leader's assignment: persist it with the group, then hand every member its share. */
function leaderSync(core: CoordinatorCore, group: Group, req: SyncGroupParams): void {
  const assignments = new Map<string, Buffer>();
  for (const a of req.assignments) if (group.has(a.memberId)) assignments.set(a.memberId, a.assignment);
  // Members the leader left out get an empty assignment, as Kafka does.
  for (const id of group.members.keys()) if (!assignments.has(id)) assignments.set(id, Buffer.alloc(0));
  const generation = group.generationId;
  void core.storeGroup(group, assignments).then((code) => {
    // Another member may have joined (or the group been unloaded) while the write was in flight.
    if (!core.isLive(group) || !group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
    if (code !== ErrorCode.NONE) {
      core.resetAndPropagateAssignmentError(group, code);
      core.maybePrepareRebalance(group, 'storing the assignment failed');
      return;
    }
    for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? Buffer.alloc(0);
    core.propagateAssignment(group, ErrorCode.NONE);
    group.transitionTo(GroupState.Stable, core.now());
  });
}

// ---------------- Heartbeat ----------------

export function heartbeat(core: CoordinatorCore, req: HeartbeatParams): number {
  const status = core.validateGroupStatus(req.groupId, false);
  // While loading, answer blindly: the member will learn what it must once the group is back.
  if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
  if (status !== null) return status;
  const group = core.group(req.groupId);
  if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
  if (err !== null) return err;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const member = group.get(req.memberId);
  switch (group.state) {
    case GroupState.CompletingRebalance:
    case GroupState.Stable:
      core.completeAndScheduleNextHeartbeat(group, member);
      return ErrorCode.NONE;
    case GroupState.PreparingRebalance:
      core.completeAndScheduleNextHeartbeat(group, member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      return ErrorCode.UNKNOWN_MEMBER_ID;
  }
}

// ---------------- LeaveGroup ----------------

export function leaveGroup(core: CoordinatorCore, req: LeaveGroupParams): LeaveGroupResult {
  const status = core.validateGroupStatus(req.groupId, false);
  if (status !== null) return { errorCode: status, members: [] };
  const group = core.group(req.groupId);
  const results: LeaveGroupResult['members'] = [];
  for (const leaving of req.members) {
    const result = (errorCode: number) => results.push({ memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId, errorCode });
    if (group === undefined) {
      result(ErrorCode.UNKNOWN_MEMBER_ID);
      continue;
    }
    const reason = leaving.reason ?? 'member left the group';
    if (leaving.memberId === '') {
      // Administrative removal of a static member by its instance id alone.
      const current = leaving.groupInstanceId === null ? undefined : group.currentStaticMemberId(leaving.groupInstanceId);
      if (current === undefined) {
        result(ErrorCode.UNKNOWN_MEMBER_ID);
      } else {
        core.removeMemberAndUpdateGroup(group, group.get(current), reason);
        result(ErrorCode.NONE);
      }
      continue;
    }
    if (group.pendingMembers.has(leaving.memberId)) {
      core.removePendingMemberAndUpdateGroup(group, leaving.memberId);
      result(ErrorCode.NONE);
      continue;
    }
    const err = validateCurrentMember(group, leaving.memberId, leaving.groupInstanceId);
    if (err !== null) {
      result(err);
      continue;
    }
    core.removeMemberAndUpdateGroup(group, group.get(leaving.memberId), reason);
    result(ErrorCode.NONE);
  }
  return { errorCode: ErrorCode.NONE, members: results };
}
