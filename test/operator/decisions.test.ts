/** Pure decisions of the operator: roll order and steps, cluster status, topic diffs, leases, flags. */
import { placeReplicas } from '../../broker/src/cluster/placement.js';
import { parseOperatorArgs } from '../../operator/src/main.js';
import { clusterStatus, summarizeMetadata } from '../../operator/src/reconcilers/cluster-status.js';
import { decideRoll, rollOrder, type PodView, type RollInput } from '../../operator/src/reconcilers/roll.js';
import { placementSeed, planTopic, resizeReplicas, topicIdString, type ObservedTopic } from '../../operator/src/reconcilers/topic-plan.js';
import { leaseDecision } from '../../operator/src/runtime/leader-election.js';

const pod = (ordinal: number, over: Partial<PodView> = {}): PodView => ({
  ordinal,
  name: `c-broker-${ordinal}`,
  ready: true,
  terminating: false,
  notReadySinceMs: null,
  templateHash: 'old',
  ...over,
});

const roll = (over: Partial<RollInput> = {}): RollInput => ({
  replicas: 3,
  desiredHash: 'new',
  pods: [pod(0), pod(1), pod(2)],
  controllerId: 1,
  underReplicated: 0,
  now: 1_000_000,
  stuckAfterMs: 60_000,
  ...over,
});

describe('rolling restart decisions', () => {
  it('orders followers (highest ordinal first) before the active controller', () => {
    expect(rollOrder([0, 1, 2], 1)).toEqual([2, 0, 1]);
    expect(rollOrder([0, 2], 2)).toEqual([0, 2]);
    expect(rollOrder([0, 1, 2], -1)).toEqual([2, 1, 0]);
  });

  it('restarts one follower when everything is healthy, the controller last', () => {
    expect(decideRoll(roll())).toMatchObject({ action: 'restart', ordinal: 2 });
    const onlyController = roll({ pods: [pod(0, { templateHash: 'new' }), pod(1), pod(2, { templateHash: 'new' })] });
    expect(decideRoll(onlyController)).toMatchObject({ action: 'restart', ordinal: 1 });
  });

  it('is idle when every pod runs the current template', () => {
    expect(decideRoll(roll({ pods: [0, 1, 2].map((o) => pod(o, { templateHash: 'new' })) }))).toEqual({ action: 'idle' });
  });

  it('waits while a broker is missing, terminating, not ready, or partitions are under-replicated', () => {
    expect(decideRoll(roll({ pods: [pod(0), pod(1)] }))).toMatchObject({ action: 'wait', reason: 'broker 2 has no pod yet' });
    expect(decideRoll(roll({ pods: [pod(0), pod(1), pod(2, { terminating: true })] }))).toMatchObject({ action: 'wait' });
    const notReady = pod(2, { ready: false, templateHash: 'new', notReadySinceMs: 990_000 });
    expect(decideRoll(roll({ pods: [pod(0), pod(1), notReady] }))).toMatchObject({ action: 'wait', reason: 'broker 2 is not ready' });
    expect(decideRoll(roll({ underReplicated: 2 }))).toMatchObject({ action: 'wait', reason: '2 partition(s) under-replicated' });
    expect(decideRoll(roll({ underReplicated: null }))).toMatchObject({ action: 'wait', reason: 'cluster metadata unavailable' });
  });

  it('stops with stuck when a restarted broker does not come back in time', () => {
    const late = pod(2, { ready: false, templateHash: 'new', notReadySinceMs: 1_000_000 - 61_000 });
    expect(decideRoll(roll({ pods: [pod(0), pod(1), late] }))).toMatchObject({ action: 'stuck', ordinal: 2 });
  });

  it('walks a whole roll one broker at a time, never touching a second before the first is back', () => {
    let pods = [pod(0), pod(1), pod(2)];
    const restarted: number[] = [];
    for (let step = 0; step < 20; step++) {
      const d = decideRoll(roll({ pods }));
      if (d.action === 'idle') break;
      if (d.action === 'restart') {
        restarted.push(d.ordinal);
        // Deleted and recreated, not ready yet: the next decision must wait.
        pods = pods.map((p) => (p.ordinal === d.ordinal ? pod(p.ordinal, { ready: false, templateHash: 'new', notReadySinceMs: 999_000 }) : p));
        const next = decideRoll(roll({ pods })).action;
        expect(next === 'wait' || (next === 'idle' && restarted.length === 3)).toBe(true);
        pods = pods.map((p) => (p.ordinal === d.ordinal ? { ...p, ready: true, notReadySinceMs: null } : p));
      }
    }
    expect(restarted).toEqual([2, 0, 1]);
  });
});

describe('cluster status', () => {
  const md = summarizeMetadata({
    brokers: [{ nodeId: 0 }, { nodeId: 1 }, { nodeId: 2 }],
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        partitions: [
          { leaderId: 0, replicaNodes: [0, 1, 2], isrNodes: [0, 1, 2] },
          { leaderId: 1, replicaNodes: [1, 2, 0], isrNodes: [1, 2] },
        ],
      },
    ],
  });
  const base = {
    generation: 4,
    replicas: 3,
    desiredHash: 'h',
    bootstrap: 'c-bootstrap.ns.svc:9092',
    previous: [],
    now: new Date('2024-01-01T00:00:00Z'),
  };

  it('summarizes leaders, replicas and under-replicated partitions from Metadata', () => {
    expect(md.underReplicated).toBe(1);
    expect(md.load.get(0)).toEqual({ leaders: 1, replicas: 2 });
    expect(md.load.get(2)).toEqual({ leaders: 0, replicas: 2 });
  });

  it('is Ready only with every broker ready, registered, current and nothing under-replicated', () => {
    const pods = [0, 1, 2].map((o) => pod(o, { templateHash: 'h' }));
    const s = clusterStatus({ ...base, pods, metadata: md, roll: { action: 'idle' } });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'UnderReplicated' });
    const healthy = summarizeMetadata({ brokers: [{ nodeId: 0 }, { nodeId: 1 }, { nodeId: 2 }], controllerId: 1, topics: [] });
    const ok = clusterStatus({ ...base, pods, metadata: healthy, roll: { action: 'idle' } });
    expect(ok).toMatchObject({ phase: 'Running', readyBrokers: 3, controller: 1, observedGeneration: 4, underReplicatedPartitions: 0 });
    expect(ok.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Progressing', 'False'],
      ['Degraded', 'False'],
    ]);
    // lastTransitionTime is kept while a condition's status does not change.
    const later = clusterStatus({ ...base, pods, metadata: healthy, roll: { action: 'idle' }, previous: ok.conditions ?? [], now: new Date('2024-01-02T00:00:00Z') });
    expect(later.conditions?.[0]?.lastTransitionTime).toBe('2024-01-01T00:00:00.000Z');
  });

  it('reports a stuck roll as Degraded and a roll in progress as Progressing', () => {
    const pods = [pod(0), pod(1), pod(2, { ready: false, templateHash: 'h' })];
    const stuck = clusterStatus({ ...base, pods, metadata: md, roll: { action: 'stuck', ordinal: 2, reason: 'broker 2 not ready', stale: 2 } });
    expect(stuck.phase).toBe('Degraded');
    expect(stuck.conditions?.find((c) => c.type === 'Degraded')).toMatchObject({ status: 'True', reason: 'BrokerNotReady' });
    const rolling = clusterStatus({ ...base, pods, metadata: md, roll: { action: 'wait', reason: 'broker 2 is not ready', stale: 2 } });
    expect(rolling.phase).toBe('Rolling');
    expect(rolling.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'RollingRestart' });
  });
});

describe('topic plan', () => {
  const brokers = [
    { id: 0, rack: 'a' },
    { id: 1, rack: 'b' },
    { id: 2, rack: 'c' },
  ];
  const desired = { name: 'orders', partitions: 6, replicationFactor: 3, config: { 'retention.ms': '1000' } };

  it('creates with the shared placement, seeded by the topic name', () => {
    const plan = planTopic(desired, null, brokers);
    expect(plan.problems).toEqual([]);
    const expected = placeReplicas(brokers, 6, 3, placementSeed('orders', 3));
    expect(plan.actions).toEqual([{ kind: 'create', assignments: expected, configs: { 'retention.ms': '1000' } }]);
    // Leader-balanced: each broker leads 2 of 6; rack-aware: every partition spans 3 racks.
    const leaders = expected.map((r) => r[0]);
    for (const b of [0, 1, 2]) expect(leaders.filter((l) => l === b)).toHaveLength(2);
    for (const r of expected) expect(new Set(r).size).toBe(3);
  });

  const observed = (over: Partial<ObservedTopic> = {}): ObservedTopic => ({
    topicId: 'x',
    partitions: [0, 1, 2].map((p) => ({ partition: p, replicas: [p, (p + 1) % 3, (p + 2) % 3], leader: p, isr: [0, 1, 2] })),
    configs: { 'retention.ms': '1000' },
    reassigning: [],
    ...over,
  });

  it('adds partitions, reverts config drift and deletes configs set outside the spec', () => {
    const plan = planTopic(desired, observed({ configs: { 'retention.ms': '5', 'cleanup.policy': 'compact' } }), brokers);
    expect(plan.actions).toEqual([
      { kind: 'alterConfigs', set: { 'retention.ms': '1000' }, delete: ['cleanup.policy'] },
      { kind: 'createPartitions', count: 6, assignments: placeReplicas(brokers, 3, 3, { ...placementSeed('orders', 3), startPartition: 3 }) },
    ]);
  });

  it('does nothing when the topic matches', () => {
    expect(planTopic({ ...desired, partitions: 3 }, observed(), brokers).actions).toEqual([]);
  });

  it('refuses impossible requests without changing anything', () => {
    const fewer = planTopic({ ...desired, partitions: 2, config: {} }, observed(), brokers);
    expect(fewer.actions).toEqual([]);
    expect(fewer.problems.map((p) => p.reason)).toEqual(['PartitionsDecreaseNotAllowed']);
    const tooMany = planTopic({ ...desired, replicationFactor: 4 }, null, brokers);
    expect(tooMany.actions).toEqual([]);
    expect(tooMany.problems.map((p) => p.reason)).toEqual(['ReplicationFactorTooHigh']);
  });

  it('changes the replication factor by reassignment, skipping partitions already moving', () => {
    const plan = planTopic({ ...desired, partitions: 3, replicationFactor: 2 }, observed({ reassigning: [1] }), brokers);
    expect(plan.waiting).toBe(true);
    expect(plan.actions).toEqual([
      {
        kind: 'reassign',
        partitions: [
          { partition: 0, replicas: [0, 1] },
          { partition: 2, replicas: [2, 0] },
        ],
      },
    ]);
  });

  it('grows replicas onto unused racks first, then the least loaded broker', () => {
    const six = [...brokers, { id: 3, rack: 'a' }, { id: 4, rack: 'b' }, { id: 5, rack: 'c' }];
    expect(resizeReplicas([0], 0, 3, six, new Map([[1, 5], [4, 0], [2, 1]]))).toEqual([0, 4, 5]);
    expect(resizeReplicas([3, 0, 1], 0, 1, six, new Map())).toEqual([0]);
  });

  it('prints topic ids as Kafka does (base64url)', () => {
    expect(topicIdString('00000000000000000000000000000001')).toBe('AAAAAAAAAAAAAAAAAAAAAQ');
  });
});

describe('leader lease', () => {
  it('creates, renews its own, waits for a live holder and takes an expired lease', () => {
    expect(leaseDecision(null, 'me', 0)).toBe('create');
    expect(leaseDecision({ holder: 'me', renewTimeMs: 0, durationMs: 15_000 }, 'me', 1)).toBe('renew');
    expect(leaseDecision({ holder: 'other', renewTimeMs: 1000, durationMs: 15_000 }, 'me', 10_000)).toBe('wait');
    expect(leaseDecision({ holder: 'other', renewTimeMs: 1000, durationMs: 15_000 }, 'me', 17_000)).toBe('take');
    expect(leaseDecision({ holder: '', renewTimeMs: 1000, durationMs: 15_000 }, 'me', 2000)).toBe('take');
  });
});

describe('strand operator flags', () => {
  it('parses namespaces, http, kubeconfig', () => {
    const c = parseOperatorArgs(['--namespace', 'a', '--namespace=b', '--http', '127.0.0.1:9000', '--kubeconfig', '/k'], {});
    expect(c).toMatchObject({ namespaces: ['a', 'b'], http: { host: '127.0.0.1', port: 9000 }, kubeconfig: '/k' });
    expect(parseOperatorArgs(['--http', 'off'], { STRAND_OPERATOR_NAMESPACES: 'x,y' })).toMatchObject({ http: null, namespaces: ['x', 'y'] });
    expect(() => parseOperatorArgs(['--http', 'nope'], {})).toThrow('invalid --http');
    expect(() => parseOperatorArgs(['--bogus'], {})).toThrow('unknown flag');
    expect(() => parseOperatorArgs(['--namespace', 'Bad_NS'], {})).toThrow('invalid --namespace');
  });
});
