/**
 * GroupCoordinator: the domain entry point the server's group handlers call. It owns the
 * groups of the __consumer_offsets partitions this broker leads: loading them on leadership
 * (COORDINATOR_LOAD_IN_PROGRESS meanwhile), unloading them on leadership loss, and expiring
 * offsets on a schedule. The API logic lives in membership.ts, offsets.ts and admin.ts.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.js';
import type { GroupMetadataValue } from '../protocol/messages/consumer-offsets-records.js';
import { describeGroup, committedOffsets, deleteGroups, groupLag, listGroups } from './admin.js';
import { Group } from './group.js';
import { GroupState } from './group-state.js';
import { GroupStore, type LoadedGroup } from './group-store.js';
import { Member } from './member.js';
import { heartbeat, joinGroup, leaveGroup, syncGroup } from './membership.js';
import { cleanupGroups, commitOffsets, deleteOffsets, fetchOffsets, removeExpiredOffsets } from './offsets.js';
import { CoordinatorCore, joinError, syncError } from './rebalance.js';
import { systemScheduler } from './scheduler.js';
import {
  DEFAULT_COORDINATOR_CONFIG,
  type CommitOffsetsParams,
  type CommitOffsetsResult,
  type CommittedOffset,
  type DeleteOffsetsParams,
  type DeleteOffsetsResult,
  type DescribedGroup,
  type EndOffsetLookup,
  type FetchOffsetsParams,
  type FetchOffsetsResult,
  type GroupCoordinatorConfig,
  type GroupLag,
  type HeartbeatParams,
  type JoinGroupParams,
  type JoinGroupResult,
  type LeaveGroupParams,
  type LeaveGroupResult,
  type ListGroupsResult,
  type OffsetsTopicPort,
  type Scheduler,
  type SyncGroupParams,
  type SyncGroupResult,
  type TimerHandle,
} from './types.js';

/** A group served here, as metrics and the HTTP views show it (plain data, no Buffers). */
export interface GroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string | null;
  /** The chosen assignor; null unless Stable or CompletingRebalance. */
  readonly protocol: string | null;
  readonly generationId: number;
  readonly members: readonly { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string }[];
  readonly offsets: readonly { topic: string; partition: number; committedOffset: number }[];
}

export interface GroupCoordinatorDeps {
  port: OffsetsTopicPort;
  config?: Partial<GroupCoordinatorConfig>;
  scheduler?: Scheduler;
  /** End offsets for groupLag; without it every lag is undefined. */
  endOffsets?: EndOffsetLookup;
  logger?: Logger;
  /**
   * Create __consumer_offsets on the first group request (ensureTopic) instead of in start(),
   * as Kafka does; partitions created later arrive through loadPartition.
   */
  lazyTopicCreation?: boolean;
}

export class GroupCoordinator {
  private readonly core: CoordinatorCore;
  private readonly port: OffsetsTopicPort;
  private readonly endOffsets: EndOffsetLookup;
  private expiryTimer: TimerHandle | null = null;
  /** Bumped on every load/unload of a partition, so a load that lost a race is discarded. */
  private readonly partitionEpochs = new Map<number, number>();
  private readonly lazyTopicCreation: boolean;
  private topicReady: Promise<void> | null = null;

  constructor(deps: GroupCoordinatorDeps) {
    const config = { ...DEFAULT_COORDINATOR_CONFIG, ...deps.config };
    const scheduler = deps.scheduler ?? systemScheduler;
    this.port = deps.port;
    this.endOffsets = deps.endOffsets ?? { endOffset: () => undefined };
    this.lazyTopicCreation = deps.lazyTopicCreation ?? false;
    this.core = new CoordinatorCore(config, scheduler, new GroupStore(deps.port, scheduler, deps.logger), deps.logger);
  }

  get config(): GroupCoordinatorConfig {
    return this.core.config;
  }

  /** The __consumer_offsets partition that owns `groupId` (FindCoordinator answers its leader). */
  partitionFor(groupId: string): number {
    return this.core.partitionOf(groupId);
  }

  // ---------------- lifecycle ----------------

  /** Ensure the topic, then load every partition led here; requests answer LOAD_IN_PROGRESS meanwhile. */
  async start(): Promise<void> {
    if (!this.lazyTopicCreation) await this.ensureTopic();
    this.core.active = true;
    this.scheduleExpiry();
    const local: number[] = [];
    for (let p = 0; p < this.core.config.offsetsTopicPartitions; p++) if (this.port.isLocalLeader(p)) local.push(p);
    for (const p of local) this.core.loadingPartitions.add(p);
    for (const p of local) {
      // Unloaded (leadership lost) while earlier partitions were loading: not ours any more.
      if (!this.core.loadingPartitions.has(p)) continue;
      this.core.loadingPartitions.delete(p);
      try {
        await this.loadPartition(p);
      } catch (err) {
        // One unreadable partition must not keep the others from loading; its groups answer
        // NOT_COORDINATOR until leadership moves or a later loadPartition succeeds.
        this.core.logger?.error({ partition: p, err }, 'loading __consumer_offsets partition failed');
      }
    }
  }

  /**
   * Make sure __consumer_offsets exists (FindCoordinator calls this). Concurrent callers share
   * one attempt; a failed attempt is forgotten so the next request retries.
   */
  ensureTopic(): Promise<void> {
    this.topicReady ??= this.port.ensureTopic().catch((err: unknown) => {
      this.topicReady = null;
      throw err;
    });
    return this.topicReady;
  }

  /** Answer every parked request NOT_COORDINATOR and drop all state. */
  async shutdown(): Promise<void> {
    this.core.active = false;
    this.expiryTimer?.cancel();
    this.expiryTimer = null;
    for (const p of [...this.core.ownedPartitions, ...this.core.loadingPartitions]) this.unloadPartition(p);
    await Promise.resolve();
  }

  isLoading(partition: number): boolean {
    return this.core.loadingPartitions.has(partition);
  }

  isOwned(partition: number): boolean {
    return this.core.ownedPartitions.has(partition);
  }

  /** This broker became leader of __consumer_offsets-`partition`: replay it into memory. */
  async loadPartition(partition: number): Promise<void> {
    if (this.core.ownedPartitions.has(partition) || this.core.loadingPartitions.has(partition)) return;
    const epoch = this.bumpEpoch(partition);
    this.core.loadingPartitions.add(partition);
    try {
      const loaded = await this.core.store.load(partition);
      if (this.partitionEpochs.get(partition) !== epoch) return; // unloaded meanwhile
      for (const [groupId, data] of loaded) this.installGroup(groupId, data);
      this.core.ownedPartitions.add(partition);
      // 50 empty partitions on every start are not news; partitions with groups are.
      if (loaded.size > 0) this.core.logger?.info({ partition, groups: loaded.size }, 'loaded __consumer_offsets partition');
      else this.core.logger?.debug({ partition }, 'loaded __consumer_offsets partition');
    } finally {
      if (this.partitionEpochs.get(partition) === epoch) this.core.loadingPartitions.delete(partition);
    }
  }

  /** Leadership of __consumer_offsets-`partition` moved away: forget its groups. */
  unloadPartition(partition: number): void {
    this.bumpEpoch(partition);
    this.core.loadingPartitions.delete(partition);
    this.core.ownedPartitions.delete(partition);
    for (const group of [...this.core.groups.values()]) {
      if (this.core.partitionOf(group.groupId) !== partition) continue;
      this.core.groups.delete(group.groupId);
      group.cancelTimers();
      if (!group.is(GroupState.Dead)) group.transitionTo(GroupState.Dead, this.core.now());
      // Parked requests learn to look for the new coordinator.
      for (const m of group.members.values()) {
        this.core.invokeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        this.core.invokeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  private bumpEpoch(partition: number): number {
    const e = (this.partitionEpochs.get(partition) ?? 0) + 1;
    this.partitionEpochs.set(partition, e);
    return e;
  }

  private installGroup(groupId: string, data: LoadedGroup): void {
    const now = this.core.now();
    const group = new Group(groupId, now);
    for (const [k, o] of data.offsets) group.offsets.set(k, o);
    const meta = data.metadata;
    if (meta !== null) this.restoreMetadata(group, meta, now);
    else group.restore(GroupState.Empty, 0, now);
    this.core.groups.set(groupId, group);
    // Loaded members must heartbeat within their session timeout like everyone else.
    for (const m of group.members.values()) this.core.completeAndScheduleNextHeartbeat(group, m);
  }

  private restoreMetadata(group: Group, meta: GroupMetadataValue, now: number): void {
    group.protocolType = meta.protocolType === '' ? null : meta.protocolType;
    group.protocolName = meta.protocol;
    for (const mm of meta.members) {
      const protocols = meta.protocol === null ? [] : [{ name: meta.protocol, metadata: mm.subscription }];
      const m = new Member(
        mm.memberId,
        mm.groupInstanceId,
        mm.clientId,
        mm.clientHost,
        mm.rebalanceTimeout,
        mm.sessionTimeout,
        meta.protocolType,
        protocols,
      );
      m.assignment = mm.assignment;
      group.members.set(m.memberId, m);
      if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId);
    }
    group.leaderId = meta.leader !== null && group.members.has(meta.leader) ? meta.leader : (group.members.keys().next().value ?? null);
    const stamp = meta.currentStateTimestamp >= 0 ? meta.currentStateTimestamp : now;
    group.restore(group.members.size > 0 ? GroupState.Stable : GroupState.Empty, meta.generation, stamp);
  }

  // ---------------- offset expiry ----------------

  private scheduleExpiry(): void {
    this.expiryTimer?.cancel();
    this.expiryTimer = this.core.scheduler.schedule(this.core.config.offsetsRetentionCheckIntervalMs, () => {
      this.expiryTimer = null;
      void this.expireOffsets()
        .catch((err: unknown) => this.core.logger?.warn({ err }, 'offset expiry failed'))
        .finally(() => {
          if (this.core.active) this.scheduleExpiry();
        });
    });
  }

  /** One offsets.retention pass over every owned group; returns the number of offsets removed. */
  async expireOffsets(): Promise<number> {
    const now = this.core.now();
    const groups = [...this.core.groups.values()].filter((g) => this.core.ownedPartitions.has(this.core.partitionOf(g.groupId)));
    return cleanupGroups(this.core, groups, (g) => removeExpiredOffsets(g, now, this.core.config.offsetsRetentionMs));
  }

  // ---------------- APIs ----------------

  joinGroup(req: JoinGroupParams): Promise<JoinGroupResult> {
    return joinGroup(this.core, req);
  }

  syncGroup(req: SyncGroupParams): Promise<SyncGroupResult> {
    return syncGroup(this.core, req);
  }

  async heartbeat(req: HeartbeatParams): Promise<number> {
    return heartbeat(this.core, req);
  }

  async leaveGroup(req: LeaveGroupParams): Promise<LeaveGroupResult> {
    return leaveGroup(this.core, req);
  }

  commitOffsets(req: CommitOffsetsParams): Promise<CommitOffsetsResult> {
    return commitOffsets(this.core, req);
  }

  async fetchOffsets(req: FetchOffsetsParams): Promise<FetchOffsetsResult> {
    return fetchOffsets(this.core, req);
  }

  async describeGroups(groupIds: readonly string[]): Promise<DescribedGroup[]> {
    return groupIds.map((id) => describeGroup(this.core, id));
  }

  async listGroups(states: readonly string[] = []): Promise<ListGroupsResult> {
    return listGroups(this.core, states);
  }

  deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return deleteGroups(this.core, groupIds);
  }

  deleteOffsets(req: DeleteOffsetsParams): Promise<DeleteOffsetsResult> {
    return deleteOffsets(this.core, req);
  }

  /** Committed offsets by topic and partition (copies), or undefined if the group is not served here. */
  committedOffsets(groupId: string): Map<string, Map<number, CommittedOffset>> | undefined {
    return committedOffsets(this.core, groupId);
  }

  groupLag(groupId: string): GroupLag | undefined {
    return groupLag(this.core, this.endOffsets, groupId);
  }

  /**
   * Every group served here (partition loaded and owned), read synchronously: metrics and
   * the HTTP views call this on each scrape, and all of it is already in memory.
   */
  groupSummaries(): GroupSummary[] {
    const out: GroupSummary[] = [];
    for (const g of this.core.groups.values()) {
      if (!this.core.ownedPartitions.has(this.core.partitionOf(g.groupId))) continue;
      const assigned = g.is(GroupState.Stable) || g.is(GroupState.CompletingRebalance);
      const offsets: { topic: string; partition: number; committedOffset: number }[] = [];
      for (const [topic, byPartition] of committedOffsets(this.core, g.groupId) ?? []) {
        for (const [partition, o] of byPartition) offsets.push({ topic, partition, committedOffset: o.offset });
      }
      out.push({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: assigned ? g.protocolName : null,
        generationId: g.generationId,
        members: [...g.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost })),
        offsets,
      });
    }
    return out;
  }

  /** __consumer_offsets partitions led here whose groups are still loading (readiness). */
  loadingPartitionIds(): number[] {
    return [...this.core.loadingPartitions];
  }

  /** Ids of the groups served here (for metrics). */
  groupIds(): string[] {
    return [...this.core.groups.keys()];
  }
}
