import fc from 'fast-check';
import type { V1Container, V1EnvVar, V1StatefulSet } from '@kubernetes/client-node';
import { parseBrokerArgs } from '../../../broker/src/config.js';
import { parseKafkaCluster, type KafkaCluster, type KafkaClusterInput } from '../api/index.js';
import {
  ANNOTATION_CONFIG_HASH,
  brokerHost,
  buildBrokerStatefulSet,
  buildClusterResources,
  buildConfigMap,
  buildNatsStatefulSet,
  buildOperatorRbac,
  DEFAULT_BUILD_OPTIONS,
  LABEL_POD_INDEX,
  names,
  natsArgs,
  ownerReference,
  SETTINGS_KEY,
  TERMINATION_GRACE_SECONDS,
  type ClusterObject,
} from './index.js';
import { hasSchemaFor, validateK8sObject } from './validate-k8s.test-support.js';

function parsed(input: KafkaClusterInput): KafkaCluster {
  const r = parseKafkaCluster(input);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

const dnsLabel = (max: number): fc.Arbitrary<string> =>
  fc.stringMatching(new RegExp(`^[a-z]([-a-z0-9]{0,${max - 2}}[a-z0-9])?$`)).filter((s) => s.length <= max);

/** Valid broker settings with values the broker accepts. */
const settingsArb = fc.record(
  {
    'min.insync.replicas': fc.integer({ min: 1, max: 3 }),
    'log.retention.ms': fc.integer({ min: -1, max: 10 ** 12 }),
    'auto.create.topics.enable': fc.constantFrom('true', 'false'),
    'log.message.timestamp.type': fc.constantFrom('CreateTime', 'LogAppendTime'),
    'offsets.topic.replication.factor': fc.integer({ min: 1, max: 3 }),
  },
  { requiredKeys: [] },
);

const clusterArb: fc.Arbitrary<KafkaCluster> = fc
  .record({
    name: dnsLabel(40),
    namespace: dnsLabel(63),
    replicas: fc.integer({ min: 1, max: 128 }),
    rack: fc.option(fc.constantFrom('topology.kubernetes.io/zone', 'rack'), { nil: undefined }),
    config: settingsArb,
    nats: fc.oneof(fc.constant({ url: 'nats://nats.example:4222' }), fc.record({ managed: fc.record({ replicas: fc.constantFrom(1, 3, 5) }) })),
    external: fc.option(fc.constantFrom('NodePort' as const, 'LoadBalancer' as const), { nil: undefined }),
    serviceMonitor: fc.boolean(),
    image: fc.option(fc.constant('registry.local/strand:1.2.3'), { nil: undefined }),
    deleteClaim: fc.boolean(),
  })
  .map((r) =>
    parsed({
      apiVersion: 'strand.dev/v1alpha1',
      kind: 'KafkaCluster',
      metadata: { name: r.name, namespace: r.namespace, uid: '0c5f0a5e-1111-2222-3333-444455556666' },
      spec: {
        replicas: r.replicas,
        ...(r.image !== undefined ? { image: r.image } : {}),
        ...(r.rack !== undefined ? { rack: { topologyKey: r.rack } } : {}),
        config: r.config,
        storage: { size: '5Gi', deleteClaim: r.deleteClaim },
        metadata: { nats: r.nats },
        listeners: r.external !== undefined ? { external: { type: r.external } } : {},
        metrics: { serviceMonitor: r.serviceMonitor },
      },
    }),
  );

function brokerContainer(sts: V1StatefulSet): V1Container {
  const c = sts.spec?.template.spec?.containers.find((x) => x.name === 'broker');
  if (c === undefined) throw new Error('no broker container');
  return c;
}

/** What the kubelet does for broker pod `ordinal`: resolve env (downward API, ConfigMap), expand $(VAR) in args. */
function podEnv(c: KafkaCluster, ordinal: number, env: readonly V1EnvVar[]): Record<string, string> {
  const cm = buildConfigMap(c);
  const pod: Record<string, string> = {
    'metadata.name': names.brokerPod(c.metadata.name, ordinal),
    'metadata.namespace': c.metadata.namespace ?? 'default',
    [`metadata.labels['${LABEL_POD_INDEX}']`]: String(ordinal),
  };
  const out: Record<string, string> = {};
  for (const e of env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const cmKey = e.valueFrom?.configMapKeyRef?.key;
    if (e.value !== undefined) out[e.name] = e.value;
    else if (field !== undefined && pod[field] !== undefined) out[e.name] = pod[field];
    else if (cmKey !== undefined && cm.data?.[cmKey] !== undefined) out[e.name] = cm.data[cmKey];
    else throw new Error(`cannot resolve env ${e.name}`);
  }
  return out;
}

const expand = (arg: string, env: Record<string, string>): string => arg.replace(/\$\(([A-Z_]+)\)/g, (_m, n: string) => env[n] ?? `$(${n})`);

const objectsOf = (c: KafkaCluster): ClusterObject[] => buildClusterResources(c, { ...DEFAULT_BUILD_OPTIONS, serviceMonitorCrdInstalled: true });

describe('broker StatefulSet (properties)', () => {
  test('replicas == spec.replicas; OnDelete; volumeClaimTemplates from storage; owned', () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const sts = buildBrokerStatefulSet(c);
        expect(sts.spec?.replicas).toBe(c.spec.replicas);
        expect(sts.spec?.updateStrategy?.type).toBe('OnDelete');
        expect(sts.spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage).toBe('5Gi');
        expect(sts.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted).toBe(c.spec.storage.deleteClaim ? 'Delete' : 'Retain');
        expect(sts.spec?.template.spec?.terminationGracePeriodSeconds).toBe(TERMINATION_GRACE_SECONDS);
        expect(brokerContainer(sts).image).toBe(c.spec.image ?? DEFAULT_BUILD_OPTIONS.defaultImage);
      }),
      { numRuns: 100 },
    );
  });

  test("every broker arg is a valid `strand broker` flag (the broker's own parseBrokerArgs), per pod", () => {
    fc.assert(
      fc.property(clusterArb, fc.nat(), (c, n) => {
        const ordinal = n % c.spec.replicas;
        const container = brokerContainer(buildBrokerStatefulSet(c));
        const env = podEnv(c, ordinal, container.env ?? []);
        const args = (container.args ?? []).map((a) => expand(a, env));
        // With a rack the sh wrapper appends --rack "<file>"; simulate the file's content.
        if (c.spec.rack !== undefined) args.push('--rack', 'zone-b');
        const cfg = parseBrokerArgs(args, env);
        expect(cfg.nodeId).toBe(ordinal);
        expect(cfg.advertised).toEqual({ host: brokerHost(c, ordinal), port: 9092 });
        expect(cfg.listen).toEqual({ host: '0.0.0.0', port: 9092 });
        expect(cfg.http).toEqual({ host: '0.0.0.0', port: 9644 });
        expect(cfg.rack).toBe(c.spec.rack !== undefined ? 'zone-b' : null);
        expect(cfg.metadata).not.toBe('local');
        for (const [k, v] of Object.entries(c.spec.config)) {
          expect(String((cfg.settings as unknown as Record<string, unknown>)[k])).toBe(String(v));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('names fit in 63 characters; every object is owned by the cluster; labels and selectors agree', () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        const objs = objectsOf(c);
        const owner = ownerReference(c);
        const sts = objs.find((o): o is V1StatefulSet => o.kind === 'StatefulSet' && o.metadata?.name === names.brokerStatefulSet(c.metadata.name));
        if (sts === undefined) throw new Error('no broker sts');
        const podLabels = sts.spec?.template.metadata?.labels ?? {};
        for (const o of objs) {
          const name = o.metadata?.name ?? '';
          expect(name.length).toBeLessThanOrEqual(63);
          expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
          expect(o.metadata?.ownerReferences).toEqual([owner]);
          expect(o.metadata?.namespace).toBe(c.metadata.namespace);
          expect(o.metadata?.labels?.['strand.dev/cluster']).toBe(c.metadata.name);
        }
        // StatefulSet controller-revision-hash label value is "<sts>-<hash up to 10>".
        expect(names.brokerStatefulSet(c.metadata.name).length + 11).toBeLessThanOrEqual(63);
        expect(names.brokerPod(c.metadata.name, c.spec.replicas - 1).length).toBeLessThanOrEqual(63);
        for (const [k, v] of Object.entries(sts.spec?.selector.matchLabels ?? {})) expect(podLabels[k]).toBe(v);
        for (const o of objs) {
          if (o.kind !== 'Service' || o.metadata?.labels?.['app.kubernetes.io/component'] !== 'broker') continue;
          const sel = (o as { spec?: { selector?: Record<string, string> } }).spec?.selector ?? {};
          for (const [k, v] of Object.entries(sel)) {
            if (k !== 'statefulset.kubernetes.io/pod-name') expect(podLabels[k]).toBe(v);
          }
        }
      }),
      { numRuns: 100 },
    );
  });

  test('every generated object is valid against the Kubernetes OpenAPI schemas (no unknown fields)', () => {
    fc.assert(
      fc.property(clusterArb, (c) => {
        for (const o of objectsOf(c)) {
          if (o.kind === 'ServiceMonitor') continue; // a foreign CRD: checked by shape below
          expect(hasSchemaFor(o)).toBe(true);
          validateK8sObject(o);
        }
      }),
      { numRuns: 40 },
    );
  });
});

const demo = (spec: Partial<KafkaClusterInput['spec']> = {}): KafkaCluster =>
  parsed({
    apiVersion: 'strand.dev/v1alpha1',
    kind: 'KafkaCluster',
    metadata: { name: 'demo', namespace: 'kafka', uid: 'uid-1' },
    spec: { replicas: 3, metadata: { nats: { managed: { replicas: 3 } } }, ...spec },
  });

describe('builders (examples)', () => {
  test('rack: init container reads the node label; broker is exec-ed by sh with --rack; spread across the key', () => {
    const sts = buildBrokerStatefulSet(demo({ rack: { topologyKey: 'topology.kubernetes.io/zone' } }));
    const pod = sts.spec?.template.spec;
    expect(pod?.serviceAccountName).toBe('strand-broker');
    expect(pod?.automountServiceAccountToken).toBe(false);
    const init = pod?.initContainers?.[0];
    expect(init?.command?.slice(0, 2)).toEqual(['node', '-e']);
    expect(init?.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(brokerContainer(sts).command?.[2]).toMatch(/^exec node \S+ broker "\$@" --rack "\$\(cat \/var\/run\/strand\/rack\)"$/);
    expect(pod?.topologySpreadConstraints?.[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', maxSkew: 1 });
    const plain = buildBrokerStatefulSet(demo());
    expect(plain.spec?.template.spec?.initContainers).toBeUndefined();
    expect(brokerContainer(plain).command).toEqual(['node', '/app/dist/broker/src/main.js', 'broker']);
  });

  test('probes: /readyz readiness and /healthz liveness on the http port', () => {
    const b = brokerContainer(buildBrokerStatefulSet(demo()));
    expect(b.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(b.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(b.ports?.find((p) => p.name === 'http')?.containerPort).toBe(9644);
  });

  test('a config change changes the pod template (the operator rolls on it); an unrelated change does not', () => {
    const hash = (c: KafkaCluster): string | undefined => buildBrokerStatefulSet(c).spec?.template.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
    expect(hash(demo({ config: { 'min.insync.replicas': 2 } }))).not.toBe(hash(demo()));
    expect(hash(demo({ metrics: { serviceMonitor: true } }))).toBe(hash(demo()));
    expect(buildConfigMap(demo({ config: { 'min.insync.replicas': 2 } })).data?.[SETTINGS_KEY]).toBe('min.insync.replicas=2\noffsets.topic.replication.factor=3');
    expect(buildConfigMap(demo({ replicas: 1 })).data?.[SETTINGS_KEY]).toBe('offsets.topic.replication.factor=1');
  });

  test('managed NATS: JetStream on /data, routes to every peer when replicas > 1', () => {
    expect(natsArgs(demo())).toEqual([
      '-js', '-sd', '/data', '-n', '$(POD_NAME)', '-p', '4222', '-m', '8222',
      '--cluster_name', 'demo-nats', '--cluster', 'nats://0.0.0.0:6222',
      '--routes',
      'nats://demo-nats-0.demo-nats-headless.kafka.svc:6222,nats://demo-nats-1.demo-nats-headless.kafka.svc:6222,nats://demo-nats-2.demo-nats-headless.kafka.svc:6222',
    ]);
    const one = demo({ metadata: { nats: { managed: { replicas: 1 } } } });
    expect(natsArgs(one)).not.toContain('--routes');
    expect(buildNatsStatefulSet(one).spec?.replicas).toBe(1);
    const brokerArgs = brokerContainer(buildBrokerStatefulSet(demo())).args ?? [];
    expect(brokerArgs[brokerArgs.indexOf('--metadata') + 1]).toBe('nats://demo-nats.kafka.svc:4222');
    expect(buildClusterResources(demo({ metadata: { nats: { url: 'nats://x:4222' } } })).some((o) => o.metadata?.name === 'demo-nats')).toBe(false);
  });

  test('ServiceMonitor only when asked and its CRD is installed; metrics Service has Prometheus annotations', () => {
    const asked = demo({ metrics: { serviceMonitor: true } });
    const kinds = (objs: ClusterObject[]): string[] => objs.map((o) => o.kind ?? '');
    expect(kinds(buildClusterResources(asked, { ...DEFAULT_BUILD_OPTIONS, serviceMonitorCrdInstalled: true }))).toContain('ServiceMonitor');
    expect(kinds(buildClusterResources(asked, { ...DEFAULT_BUILD_OPTIONS, serviceMonitorCrdInstalled: false }))).not.toContain('ServiceMonitor');
    expect(kinds(buildClusterResources(demo(), { ...DEFAULT_BUILD_OPTIONS, serviceMonitorCrdInstalled: true }))).not.toContain('ServiceMonitor');
    const metrics = buildClusterResources(demo()).find((o) => o.metadata?.name === 'demo-metrics');
    expect(metrics?.metadata?.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9644', 'prometheus.io/path': '/metrics' });
    const pdb = buildClusterResources(demo()).find((o) => o.kind === 'PodDisruptionBudget' && o.metadata?.name === 'demo-broker');
    expect((pdb as { spec?: { maxUnavailable?: unknown } }).spec?.maxUnavailable).toBe(1);
  });

  test('external NodePort listener: one Service per broker at nodePortBase + id', () => {
    const c = demo({ listeners: { external: { type: 'NodePort', nodePortBase: 30092 } } });
    const ext = buildClusterResources(c).filter((o) => o.metadata?.name?.endsWith('-external'));
    expect(ext.map((o) => (o as { spec?: { ports?: { nodePort?: number }[] } }).spec?.ports?.[0]?.nodePort)).toEqual([30092, 30093, 30094]);
  });

  test('refuses to build for a cluster without a uid (children could never be garbage-collected)', () => {
    const c = demo();
    expect(() => buildBrokerStatefulSet({ ...c, metadata: { name: 'demo' } })).toThrow('uid');
  });
});

describe('operator RBAC', () => {
  test.each([
    ['all namespaces', []],
    ['two namespaces', ['team-a', 'team-b']],
  ])('%s: valid objects; namespaced grants when namespaces are listed', (_what, watch) => {
    const objs = buildOperatorRbac({ name: 'strand', namespace: 'strand-system', watchNamespaces: watch });
    for (const o of objs) validateK8sObject(o);
    const crbs = objs.filter((o) => o.kind === 'ClusterRoleBinding').map((o) => o.metadata?.name);
    expect(crbs.includes('strand-operator')).toBe(watch.length === 0);
    expect(objs.filter((o) => o.kind === 'RoleBinding' && o.metadata?.name === 'strand-operator').map((o) => o.metadata?.namespace)).toEqual(watch);
    const sas = objs.filter((o) => o.kind === 'ServiceAccount' && o.metadata?.name === 'strand-broker').map((o) => o.metadata?.namespace);
    expect(sas).toEqual(watch.length > 0 ? watch : ['strand-system']);
  });

  test('the validator itself rejects a misspelt field and a wrong type', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } };
    expect(validateK8sObject(cm)).toContain('ConfigMap');
    const typoCm: Record<string, unknown> = { ...cm, dat: {} };
    expect(() => validateK8sObject(typoCm)).toThrow('unknown fields .dat');
    const sts = buildBrokerStatefulSet(demo());
    const bad = JSON.parse(JSON.stringify(sts)) as { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
    bad.spec.replicas = 'three';
    expect(() => validateK8sObject(bad as unknown as V1StatefulSet & { apiVersion: string })).toThrow('replicas');
    const typo = JSON.parse(JSON.stringify(sts)) as typeof bad;
    (typo.spec.template.spec.containers[0] as Record<string, unknown>).readinesProbe = {};
    expect(() => validateK8sObject(typo as unknown as V1StatefulSet & { apiVersion: string })).toThrow('readinesProbe');
  });

  test('no wildcard verbs, resources or groups', () => {
    for (const o of buildOperatorRbac({ name: 'strand', namespace: 'ns', watchNamespaces: [] })) {
      for (const r of (o as { rules?: { verbs: string[]; resources?: string[]; apiGroups?: string[] }[] }).rules ?? []) {
        expect([...r.verbs, ...(r.resources ?? []), ...(r.apiGroups ?? [])]).not.toContain('*');
      }
    }
  });
});
