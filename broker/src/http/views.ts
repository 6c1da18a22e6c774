/**
 * The read-only JSON views under /v1: one zod schema per response (the documented contract,
 * validated before sending) and a pure builder from the introspection port.
 */
import { z } from 'zod';
import { summarizeHealth } from './health-summary.js';
import { GROUP_STATES, type BrokerIntrospection, type GroupView } from './introspection.js';

const brokerId = z.number().int().min(-1);
const offset = z.number().int().min(0);
const tpName = z.string().min(1);

export const ClusterViewSchema = z.strictObject({
  clusterId: z.string(),
  nodeId: brokerId,
  controllerId: brokerId,
  isController: z.boolean(),
  controllerEpoch: z.number().int(),
  brokers: z.number().int().min(0),
  topics: z.number().int().min(0),
  partitions: z.number().int().min(0),
  partitionsLed: z.number().int().min(0),
  underReplicatedPartitions: z.number().int().min(0),
  underMinIsrPartitions: z.number().int().min(0),
  offlinePartitions: z.number().int().min(0),
});

export const BrokersViewSchema = z.strictObject({
  brokers: z.array(
    z.strictObject({
      id: brokerId,
      host: z.string(),
      port: z.number().int().min(0).max(65535),
      rack: z.string().nullable(),
      isController: z.boolean(),
      isSelf: z.boolean(),
    }),
  ),
});

const TopicSummarySchema = z.strictObject({
  name: tpName,
  topicId: z.string().regex(/^[0-9a-f]{32}$/),
  internal: z.boolean(),
  partitions: z.number().int().min(0),
  replicationFactor: z.number().int().min(0),
  underReplicatedPartitions: z.number().int().min(0),
  offlinePartitions: z.number().int().min(0),
});

export const TopicsViewSchema = z.strictObject({ topics: z.array(TopicSummarySchema) });

export const TopicViewSchema = z.strictObject({
  ...TopicSummarySchema.shape,
  configs: z.record(z.string(), z.string()),
  partitionDetails: z.array(
    z.strictObject({
      partition: z.number().int().min(0),
      leader: brokerId,
      leaderEpoch: z.number().int(),
      replicas: z.array(brokerId),
      isr: z.array(brokerId),
      /** This broker's replica, when it hosts one and has it open. */
      local: z
        .strictObject({
          isLeader: z.boolean(),
          logStartOffset: offset,
          logEndOffset: offset,
          highWatermark: offset,
          sizeBytes: z.number().int().min(0),
        })
        .nullable(),
    }),
  ),
});

const GroupSchema = z.strictObject({
  groupId: z.string(),
  state: z.enum(GROUP_STATES),
  protocolType: z.string().nullable(),
  protocol: z.string().nullable(),
  generationId: z.number().int(),
  members: z.array(z.strictObject({ memberId: z.string(), groupInstanceId: z.string().nullable(), clientId: z.string(), clientHost: z.string() })),
  offsets: z.array(
    z.strictObject({
      topic: tpName,
      partition: z.number().int().min(0),
      committedOffset: z.number().int().min(-1),
      /** null when this broker does not lead the partition (the coordinator need not). */
      lag: z.number().int().min(0).nullable(),
    }),
  ),
});

export const GroupsViewSchema = z.strictObject({ groups: z.array(GroupSchema) });
export const GroupViewSchema = GroupSchema;

export type ClusterView = z.infer<typeof ClusterViewSchema>;
export type BrokersView = z.infer<typeof BrokersViewSchema>;
export type TopicsView = z.infer<typeof TopicsViewSchema>;
export type TopicView = z.infer<typeof TopicViewSchema>;
export type GroupsView = z.infer<typeof GroupsViewSchema>;
export type GroupJson = z.infer<typeof GroupSchema>;

// ---- builders ------------------------------------------------------------------------------

export function clusterView(intro: BrokerIntrospection): ClusterView {
  const self = intro.self();
  const controller = intro.controller();
  const s = summarizeHealth(intro);
  return {
    clusterId: self.clusterId,
    nodeId: self.nodeId,
    controllerId: controller.controllerId,
    isController: controller.isActive,
    controllerEpoch: controller.epoch,
    brokers: intro.brokers().length,
    topics: s.topics,
    partitions: s.partitions,
    partitionsLed: s.led,
    underReplicatedPartitions: s.underReplicated,
    underMinIsrPartitions: s.underMinIsr,
    offlinePartitions: s.offline,
  };
}

export function brokersView(intro: BrokerIntrospection): BrokersView {
  const self = intro.self().nodeId;
  const controllerId = intro.controller().controllerId;
  const brokers = [...intro.brokers()]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({ id: b.id, host: b.host, port: b.port, rack: b.rack, isController: b.id === controllerId, isSelf: b.id === self }));
  return { brokers };
}

type TopicImageOf = NonNullable<ReturnType<BrokerIntrospection['topic']>>;

function topicSummary(t: TopicImageOf): z.infer<typeof TopicSummarySchema> {
  return {
    name: t.name,
    topicId: t.topicId,
    internal: t.internal,
    partitions: t.partitions.length,
    replicationFactor: t.partitions[0]?.replicas.length ?? 0,
    underReplicatedPartitions: t.partitions.filter((p) => p.isr.length < p.replicas.length).length,
    offlinePartitions: t.partitions.filter((p) => p.leader === -1).length,
  };
}

export function topicsView(intro: BrokerIntrospection): TopicsView {
  const topics = [...intro.topics()].map(topicSummary).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { topics };
}

/** undefined for an unknown topic (the route answers 404). */
export function topicView(intro: BrokerIntrospection, name: string): TopicView | undefined {
  const t = intro.topic(name);
  if (t === undefined) return undefined;
  return {
    ...topicSummary(t),
    configs: { ...t.configs },
    partitionDetails: t.partitions.map((p) => {
      const r = intro.localReplica(t.name, p.partition);
      return {
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: [...p.replicas],
        isr: [...p.isr],
        local:
          r === undefined
            ? null
            : { isLeader: r.isLeader, logStartOffset: r.logStartOffset, logEndOffset: r.logEndOffset, highWatermark: r.highWatermark, sizeBytes: r.log.sizeInBytes },
      };
    }),
  };
}

function groupJson(intro: BrokerIntrospection, g: GroupView): GroupJson {
  return {
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    protocol: g.protocol,
    generationId: g.generationId,
    members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost })),
    offsets: g.offsets.map((o) => {
      const r = intro.localReplica(o.topic, o.partition);
      const lag = r !== undefined && r.isLeader ? Math.max(0, r.highWatermark - o.committedOffset) : null;
      return { topic: o.topic, partition: o.partition, committedOffset: o.committedOffset, lag };
    }),
  };
}

export function groupsView(intro: BrokerIntrospection): GroupsView {
  return { groups: intro.groups().map((g) => groupJson(intro, g)) };
}

/** undefined for a group this broker does not coordinate (the route answers 404). */
export function groupView(intro: BrokerIntrospection, groupId: string): GroupJson | undefined {
  const g = intro.groups().find((x) => x.groupId === groupId);
  return g === undefined ? undefined : groupJson(intro, g);
}
