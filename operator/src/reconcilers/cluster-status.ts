/**
 * KafkaCluster status, computed purely from what the reconciler observed: the broker pods,
 * the cluster's own Metadata (a summary of it) and the roll decision.
 */
import type { BrokerStatus, ClusterPhase, Condition, KafkaClusterStatus } from '../api/index.js';
import type { PodView, RollDecision } from './roll.js';

/** The parts of a Kafka Metadata response the status needs. */
export interface MetadataSummary {
  readonly brokerIds: readonly number[];
  readonly controllerId: number;
  /** Per broker id: partitions led and replicas hosted. */
  readonly load: ReadonlyMap<number, { leaders: number; replicas: number }>;
  readonly underReplicated: number;
  /** Partitions whose ISR is below their min.insync.replicas is not knowable here; offline ones are. */
  readonly offline: number;
}

export interface MetadataLike {
  readonly brokers: ReadonlyArray<{ readonly nodeId: number }>;
  readonly controllerId: number;
  readonly topics: ReadonlyArray<{
    readonly errorCode: number;
    readonly partitions: ReadonlyArray<{ readonly leaderId: number; readonly replicaNodes: readonly number[]; readonly isrNodes: readonly number[] }>;
  }>;
}

export function summarizeMetadata(md: MetadataLike): MetadataSummary {
  const load = new Map<number, { leaders: number; replicas: number }>();
  const at = (id: number): { leaders: number; replicas: number } => {
    let l = load.get(id);
    if (!l) {
      l = { leaders: 0, replicas: 0 };
      load.set(id, l);
    }
    return l;
  };
  let underReplicated = 0;
  let offline = 0;
  for (const t of md.topics) {
    if (t.errorCode !== 0) continue;
    for (const p of t.partitions) {
      if (p.leaderId >= 0) at(p.leaderId).leaders++;
      else offline++;
      for (const r of p.replicaNodes) at(r).replicas++;
      if (p.isrNodes.length < p.replicaNodes.length) underReplicated++;
    }
  }
  return { brokerIds: md.brokers.map((b) => b.nodeId).sort((a, b) => a - b), controllerId: md.controllerId, load, underReplicated, offline };
}

export interface StatusInput {
  readonly generation: number;
  readonly replicas: number;
  readonly pods: readonly PodView[];
  readonly desiredHash: string;
  readonly metadata: MetadataSummary | null;
  readonly roll: RollDecision;
  readonly bootstrap: string;
  /** A problem that blocks reconciling (invalid spec, apply failure): Degraded with this reason. */
  readonly problem?: { readonly reason: string; readonly message: string };
  readonly previous: readonly Condition[];
  readonly now: Date;
}

function condition(type: string, ok: boolean, reason: string, message: string, input: StatusInput): Condition {
  const status = ok ? 'True' : 'False';
  const prev = input.previous.find((c) => c.type === type);
  // lastTransitionTime moves only when the status flips (metav1.Condition semantics).
  const lastTransitionTime = prev !== undefined && prev.status === status ? prev.lastTransitionTime : input.now.toISOString();
  return { type, status, observedGeneration: input.generation, lastTransitionTime, reason, message };
}

export function clusterStatus(input: StatusInput): KafkaClusterStatus {
  const inRange = input.pods.filter((p) => p.ordinal < input.replicas);
  const readyBrokers = inRange.filter((p) => p.ready && !p.terminating).length;
  const md = input.metadata;
  const registered = new Set(md?.brokerIds ?? []);
  const brokers: BrokerStatus[] = [];
  for (let id = 0; id < input.replicas; id++) {
    const pod = inRange.find((p) => p.ordinal === id);
    const load = md?.load.get(id) ?? { leaders: 0, replicas: 0 };
    brokers.push({ id, ready: pod !== undefined && pod.ready && !pod.terminating && (md === null || registered.has(id)), leaders: load.leaders, replicas: load.replicas });
  }
  const stale = inRange.filter((p) => p.templateHash !== input.desiredHash).length;
  const rolling = input.roll.action === 'restart' || (input.roll.action === 'wait' && stale > 0);
  const urp = md?.underReplicated ?? 0;

  let degraded: { reason: string; message: string } | null = null;
  if (input.problem) degraded = input.problem;
  else if (input.roll.action === 'stuck') degraded = { reason: 'BrokerNotReady', message: input.roll.reason };

  let ready: { ok: boolean; reason: string; message: string };
  if (degraded) ready = { ok: false, reason: degraded.reason, message: degraded.message };
  else if (readyBrokers < input.replicas) ready = { ok: false, reason: 'BrokersNotReady', message: `${readyBrokers}/${input.replicas} brokers ready` };
  else if (md === null) ready = { ok: false, reason: 'MetadataUnavailable', message: 'the cluster did not answer a Metadata request' };
  else if (md.brokerIds.length < input.replicas) ready = { ok: false, reason: 'BrokersNotRegistered', message: `${md.brokerIds.length}/${input.replicas} brokers registered` };
  else if (stale > 0) ready = { ok: false, reason: 'RollingRestart', message: `${stale} broker(s) to restart` };
  else if (urp > 0) ready = { ok: false, reason: 'UnderReplicated', message: `${urp} partition(s) under-replicated` };
  else ready = { ok: true, reason: 'AllBrokersReady', message: `${readyBrokers}/${input.replicas} brokers ready, no under-replicated partitions` };

  let progressing: { ok: boolean; reason: string; message: string };
  if (rolling) progressing = { ok: true, reason: 'RollingRestart', message: input.roll.action === 'restart' ? `restarting broker ${input.roll.ordinal}` : input.roll.action === 'wait' ? input.roll.reason : '' };
  else if (!ready.ok && !degraded) progressing = { ok: true, reason: ready.reason === 'UnderReplicated' ? 'CatchingUp' : 'Creating', message: ready.message };
  else progressing = { ok: false, reason: 'Stable', message: 'nothing to do' };

  let phase: ClusterPhase;
  if (degraded) phase = 'Degraded';
  else if (rolling) phase = 'Rolling';
  else if (ready.ok) phase = 'Running';
  else if (readyBrokers === 0) phase = 'Pending';
  else phase = 'Creating';

  return {
    observedGeneration: input.generation,
    phase,
    conditions: [
      condition('Ready', ready.ok, ready.reason, ready.message, input),
      condition('Progressing', progressing.ok, progressing.reason, progressing.message, input),
      condition('Degraded', degraded !== null, degraded?.reason ?? 'AsExpected', degraded?.message ?? 'no problems', input),
    ],
    readyBrokers,
    brokers,
    bootstrap: input.bootstrap,
    underReplicatedPartitions: urp,
    controller: md?.controllerId ?? -1,
  };
}
