/**
 * helm/strand without helm (not installable here): Chart.yaml and values.yaml parse, the
 * templates render (helm-render.test-support.ts) to objects valid against the Kubernetes
 * schemas, the RBAC equals the builders' (rbac.ts), and the example cluster is a valid
 * KafkaCluster.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../api/crd-gen.js';
import { parseKafkaCluster } from '../api/index.js';
import { renderTemplate } from './helm-render.test-support.js';
import { buildOperatorRbac } from './rbac.js';
import { validateK8sObject } from './validate-k8s.test-support.js';

const chart = join(repoRoot(), 'helm', 'strand');
const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const release = { Name: 'strand', Namespace: 'strand-system' };

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Record<string, unknown>;

function render(overrides: Record<string, unknown> = {}): Obj[] {
  const v = { ...values, ...overrides };
  const out: Obj[] = [];
  for (const f of readdirSync(join(chart, 'templates')).filter((n) => n.endsWith('.yaml')).sort()) {
    const text = renderTemplate(readFileSync(join(chart, 'templates', f), 'utf8'), v, release);
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${f}: ${doc.errors[0]?.message ?? ''}\n${text}`);
      const o = doc.toJS() as Obj | null;
      if (o !== null) out.push(o);
    }
  }
  return out;
}

const key = (o: { kind?: string; metadata?: { name?: string; namespace?: string } }): string => `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
const byKey = <T extends { kind?: string; metadata?: { name?: string; namespace?: string } }>(objs: T[]): Map<string, T> => new Map(objs.map((o) => [key(o), o]));

test('Chart.yaml and values.yaml', () => {
  const c = parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  expect(c).toMatchObject({ apiVersion: 'v2', name: 'strand', type: 'application' });
  expect(values).toMatchObject({ image: { repository: 'strand' }, watchNamespaces: [] });
});

test.each([
  ['all namespaces', []],
  ['two watched namespaces', ['team-a', 'team-b']],
])('%s: every rendered object is valid, and the RBAC is exactly the builders\'', (_what, watchNamespaces) => {
  const objs = render({ watchNamespaces });
  for (const o of objs) validateK8sObject(o);
  const rbacKinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
  const fromChart = byKey(objs.filter((o) => rbacKinds.has(o.kind)));
  const fromBuilders = byKey(buildOperatorRbac({ name: release.Name, namespace: release.Namespace, watchNamespaces }));
  expect([...fromChart.keys()].sort()).toEqual([...fromBuilders.keys()].sort());
  for (const [k, o] of fromBuilders) expect(fromChart.get(k)).toEqual(JSON.parse(JSON.stringify(o)));
});

test('operator Deployment: the image, the operator subcommand, the watched namespaces, non-root', () => {
  const d = render({ watchNamespaces: ['a', 'b'] }).find((o) => o.kind === 'Deployment') as unknown as {
    spec: { template: { spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean }; containers: { image: string; args: string[]; env: { name: string; value?: string }[] }[] } } };
  };
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  expect(c?.image).toBe('strand:0.1.0');
  expect(c?.args).toEqual(['operator']);
  expect(c?.env.find((e) => e.name === 'STRAND_WATCH_NAMESPACES')?.value).toBe('a,b');
  expect(pod.serviceAccountName).toBe('strand');
  expect(pod.securityContext.runAsNonRoot).toBe(true);
});

test('the optional example cluster is off by default and a valid KafkaCluster when on', () => {
  expect(render().some((o) => o.kind === 'KafkaCluster')).toBe(false);
  const kc = render({ exampleCluster: { ...(values.exampleCluster as object), enabled: true } }).find((o) => o.kind === 'KafkaCluster');
  const r = parseKafkaCluster({ ...kc, metadata: { ...kc?.metadata, uid: 'u' } });
  expect(r.ok ? r.value.spec.replicas : r.error).toBe(3);
});
