/**
 * One classic group (Kafka's GroupMetadata): state, generation, members, static-member map,
 * pending members, and committed offsets. Holds no timers of its own beyond handles the
 * coordinator parks here; every mutation keeps the invariants asserted in checkInvariants().
 */
import { CONSUMER_PROTOCOL_TYPE, parseSubscriptionTopics } from './consumer-protocol.js';
import { assertInvariant, canTransition, GroupState, type GroupStateName } from './group-state.js';
import type { Member } from './member.js';
import type { CommittedOffset, GroupProtocol, JoinGroupMember, TimerHandle } from './types.js';

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitOffsetKey(key: string): { topic: string; partition: number } {
  const i = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, i), partition: Number(key.slice(i + 1)) };
}

export class Group {
  private _state: GroupStateName = GroupState.Empty;
  private _generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  currentStateTimestamp: number;
  readonly members = new Map<string, Member>();
  /** group.instance.id -> current member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined; value = expiry timer. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members that got a JoinGroup response this generation but have not sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** The rebalance's delayed join (initial delay or rebalance timeout). */
  joinTimer: TimerHandle | null = null;
  /** True while the initial-rebalance delay (not the rebalance timeout) governs the join. */
  initialDelayActive = false;
  newMemberAdded = false;
  syncTimer: TimerHandle | null = null;
  /** Topics the members subscribe to (consumer protocol only); null when not known. */
  subscribedTopics: ReadonlySet<string> | null = null;
  readonly offsets = new Map<string, CommittedOffset>();

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  get state(): GroupStateName {
    return this._state;
  }

  get generationId(): number {
    return this._generationId;
  }

  is(state: GroupStateName): boolean {
    return this._state === state;
  }

  transitionTo(to: GroupStateName, now: number): void {
    assertInvariant(canTransition(this._state, to), `group ${this.groupId}: illegal transition ${this._state} -> ${to}`);
    this._state = to;
    this.currentStateTimestamp = now;
    this.checkInvariants();
  }

  /** Loading from __consumer_offsets sets state and generation directly (Empty or Stable). */
  restore(state: GroupStateName, generationId: number, now: number): void {
    assertInvariant(generationId >= this._generationId, `group ${this.groupId}: generation may not decrease`);
    this._state = state;
    this._generationId = generationId;
    this.currentStateTimestamp = now;
    this.subscribedTopics = this.computeSubscribedTopics();
    this.checkInvariants();
  }

  checkInvariants(): void {
    assertInvariant(this._generationId >= 0, `group ${this.groupId}: negative generation`);
    if (this.is(GroupState.Stable) || this.is(GroupState.CompletingRebalance)) {
      assertInvariant(this.members.size > 0, `group ${this.groupId}: ${this._state} without members`);
      assertInvariant(
        this.leaderId !== null && this.members.has(this.leaderId),
        `group ${this.groupId}: ${this._state} leader ${this.leaderId} is not a member`,
      );
      assertInvariant(this.protocolName !== null, `group ${this.groupId}: ${this._state} without a protocol`);
    }
    if (this.is(GroupState.Empty)) {
      assertInvariant(this.members.size === 0, `group ${this.groupId}: Empty with ${this.members.size} members`);
    }
    if (this.leaderId !== null) {
      assertInvariant(this.members.has(this.leaderId), `group ${this.groupId}: leader ${this.leaderId} not a member`);
    }
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member {
    const m = this.members.get(memberId);
    assertInvariant(m !== undefined, `group ${this.groupId}: no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  currentStaticMemberId(instanceId: string): string | undefined {
    return this.staticMembers.get(instanceId);
  }

  /** The rebalance timeout of the group: the largest any member asked for. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  get numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin !== null) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    assertInvariant(this.protocolType === member.protocolType, `group ${this.groupId}: protocol type mismatch`);
    assertInvariant(this.supportsProtocols(member.protocolType, member.protocols), `group ${this.groupId}: unsupported protocols`);
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    const pending = this.pendingMembers.get(member.memberId);
    pending?.cancel();
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member or pending member; the leader passes to the first remaining member. */
  remove(memberId: string): Member | undefined {
    const m = this.members.get(memberId);
    if (m !== undefined) {
      this.members.delete(memberId);
      m.cancelSessionTimer();
      if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) {
        this.staticMembers.delete(m.groupInstanceId);
      }
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done === true ? null : next.value;
    }
    this.pendingMembers.get(memberId)?.cancel();
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return m;
  }

  /** A static member restarted with a new member id: same member object, new id. */
  replaceStaticMember(instanceId: string, oldMemberId: string, newMemberId: string): Member {
    const m = this.members.get(oldMemberId);
    assertInvariant(m !== undefined, `group ${this.groupId}: static member ${oldMemberId} missing`);
    this.members.delete(oldMemberId);
    m.memberId = newMemberId;
    this.members.set(newMemberId, m);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(instanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return m;
  }

  /** Protocols every member supports (Kafka's candidateProtocols). */
  candidateProtocols(): Set<string> {
    const members = [...this.members.values()];
    const first = members[0];
    if (first === undefined) return new Set<string>();
    return new Set<string>(first.protocols.map((p) => p.name).filter((name) => members.every((m) => m.supports(name))));
  }

  /**
   * Kafka's supportsProtocols: an Empty group accepts any non-empty protocol set; otherwise the
   * protocol type must match and one protocol must be supported by every current member.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.is(GroupState.Empty) || this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Each member votes for its most preferred candidate; the most votes win. Ties go to the
   * protocol the leader prefers, so the choice is deterministic (Kafka leaves ties to hash order).
   */
  selectProtocol(): string {
    assertInvariant(this.members.size > 0, `group ${this.groupId}: cannot select a protocol without members`);
    const candidates = this.candidateProtocols();
    assertInvariant(candidates.size > 0, `group ${this.groupId}: members share no protocol`);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    const best = Math.max(...votes.values());
    const tied = new Set([...votes].filter(([, n]) => n === best).map(([p]) => p));
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    const order = leader?.protocols.map((p) => p.name) ?? [...tied];
    const pick = order.find((p) => tied.has(p)) ?? [...tied][0];
    assertInvariant(pick !== undefined, `group ${this.groupId}: no protocol selected`);
    return pick;
  }

  /** Ends the join phase: the next generation, in CompletingRebalance, or Empty without members. */
  initNextGeneration(now: number): void {
    assertInvariant(this.is(GroupState.PreparingRebalance), `group ${this.groupId}: initNextGeneration in ${this._state}`);
    const before = this._generationId;
    this._generationId += 1;
    this.pendingSyncMembers.clear();
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
      this.transitionTo(GroupState.CompletingRebalance, now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.Empty, now);
    }
    assertInvariant(this._generationId > before, `group ${this.groupId}: generation must increase`);
  }

  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = m.supports(this.protocolName) ? parseSubscriptionTopics(m.metadata(this.protocolName)) : null;
      if (parsed === null) return null;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  /** Members and their metadata for the selected protocol: what the leader receives. */
  currentMemberMetadata(): JoinGroupMember[] {
    const protocol = this.protocolName;
    assertInvariant(protocol !== null, `group ${this.groupId}: no protocol selected`);
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  /** Kafka's maybeElectNewJoinedLeader: keep a leader that rejoined, else any member that did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.awaitingJoin !== null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  cancelTimers(): void {
    this.joinTimer?.cancel();
    this.joinTimer = null;
    this.syncTimer?.cancel();
    this.syncTimer = null;
    for (const t of this.pendingMembers.values()) t.cancel();
    for (const m of this.members.values()) m.cancelSessionTimer();
  }
}
