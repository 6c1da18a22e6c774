/**
 * Test-only: the kubelet and StatefulSet controller for the fake API server. It keeps, for
 * every StatefulSet in the store, pods `<sts>-0..replicas-1` (created from the template, owned
 * by the StatefulSet, labelled with the pod index), and turns each pod into a real broker
 * process on 127.0.0.1: the container's args are expanded ($(VAR) from the env, downward-API
 * fields and ConfigMap keys) and `--listen/--advertised/--http/--data-dir` rewritten to local,
 * stable-per-pod ports and directories. Pod status Ready mirrors the broker's /readyz.
 * Deleting a pod kills its process (SIGTERM, SIGKILL after the grace period); the
 * "StatefulSet controller" recreates it once the old process has exited, as OnDelete does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { BROKER_MAIN, freePort } from '../helpers/broker.js';
import { isObject, type Json, type JsonObject } from './kube-api/json.js';
import type { KObject, Store } from './kube-api/store.js';

interface Proc {
  child: ChildProcess;
  killing: boolean;
  exited: Promise<void>;
  log: WriteStream;
}

interface Ports {
  kafka: number;
  http: number;
}

const STS = { group: 'apps', version: 'v1', plural: 'statefulsets' };
const POD = { group: '', version: 'v1', plural: 'pods' };
const CM = { group: '', version: 'v1', plural: 'configmaps' };

export interface PodRunnerOptions {
  readonly dir: string;
  readonly intervalMs?: number;
  /** SIGKILL a deleted pod's process after this long (the grace period). */
  readonly graceMs?: number;
}

function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export class PodRunner {
  private readonly procs = new Map<string, Proc>();
  private readonly ports = new Map<string, Ports>();
  private readonly starting = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  /** Extra args appended per pod key "ns/pod" (tests inject failures with a bad flag). */
  readonly extraArgs = new Map<string, string[]>();

  constructor(
    private readonly store: Store,
    private readonly opts: PodRunnerOptions,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      void this.sync().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs ?? 250);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.procs.keys()].map((k) => this.kill(k, 'SIGTERM')));
  }

  /** The local Kafka / HTTP ports of a pod; allocated on first ask, stable across restarts. */
  async portsOf(namespace: string, pod: string): Promise<Ports> {
    const key = `${namespace}/${pod}`;
    let p = this.ports.get(key);
    if (!p) {
      p = { kafka: await freePort(), http: await freePort() };
      // Two callers may race past the first get; keep the first allocation.
      p = this.ports.get(key) ?? p;
      this.ports.set(key, p);
    }
    return p;
  }

  pid(namespace: string, pod: string): number | undefined {
    return this.procs.get(`${namespace}/${pod}`)?.child.pid;
  }

  logFile(namespace: string, pod: string): string {
    return join(this.opts.dir, namespace, `${pod}.log`);
  }

  private async sync(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const stsType = this.type(STS);
      const podType = this.type(POD);
      const live = new Set<string>();
      for (const sts of this.store.list(stsType)) {
        const ns = sts.metadata.namespace ?? 'default';
        const spec = isObject(sts['spec']) ? sts['spec'] : {};
        const replicas = typeof spec['replicas'] === 'number' ? spec['replicas'] : 1;
        let ready = 0;
        for (let i = 0; i < replicas; i++) {
          const name = `${sts.metadata.name}-${i}`;
          const key = `${ns}/${name}`;
          live.add(key);
          const pod = this.store.tryGet(podType, ns, name);
          if (pod === undefined) {
            if (!this.procs.has(key) && !this.starting.has(key)) await this.createPod(sts, i);
            continue;
          }
          if (this.podReady(pod)) ready++;
          if (!this.procs.has(key) && !this.starting.has(key)) await this.launch(pod);
          else await this.probe(pod);
        }
        this.store.replace(stsType, ns, sts.metadata.name, { ...sts, status: { observedGeneration: sts.metadata.generation, replicas, readyReplicas: ready, currentReplicas: replicas, updatedReplicas: replicas, availableReplicas: ready } }, 'status');
      }
      // Pods gone from the store (deleted, GC'd, scaled away): stop their processes.
      for (const key of [...this.procs.keys()]) {
        const [ns = '', name = ''] = key.split('/');
        const pod = this.store.tryGet(podType, ns, name);
        if (pod === undefined || !live.has(key)) {
          if (pod !== undefined) this.store.delete(podType, ns, name);
          void this.kill(key, 'SIGTERM');
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private type(t: { group: string; version: string; plural: string }): NonNullable<ReturnType<Store['typeByPlural']>> {
    const r = this.store.typeByPlural(t.group, t.version, t.plural);
    if (!r) throw new Error(`type ${t.plural} not registered`);
    return r;
  }

  private podReady(pod: KObject): boolean {
    const st = isObject(pod['status']) ? pod['status'] : {};
    const conds = Array.isArray(st['conditions']) ? st['conditions'] : [];
    return conds.some((c) => isObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
  }

  private async createPod(sts: KObject, ordinal: number): Promise<void> {
    const spec = isObject(sts['spec']) ? sts['spec'] : {};
    const template = isObject(spec['template']) ? spec['template'] : {};
    const tmeta = isObject(template['metadata']) ? template['metadata'] : {};
    const name = `${sts.metadata.name}-${ordinal}`;
    const labels = { ...(isObject(tmeta['labels']) ? (tmeta['labels'] as Record<string, string>) : {}), 'apps.kubernetes.io/pod-index': String(ordinal), 'statefulset.kubernetes.io/pod-name': name };
    const body: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: sts.metadata.namespace ?? 'default',
        labels,
        annotations: isObject(tmeta['annotations']) ? tmeta['annotations'] : {},
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name, uid: sts.metadata.uid, controller: true }],
      },
      spec: isObject(template['spec']) ? template['spec'] : {},
    };
    this.store.create(this.type(POD), sts.metadata.namespace, body);
  }

  /** $(VAR) expansion as the kubelet does it, from the container env. */
  private envOf(pod: KObject, container: JsonObject): Record<string, string> {
    const env: Record<string, string> = {};
    const ns = pod.metadata.namespace ?? 'default';
    for (const e of Array.isArray(container['env']) ? container['env'] : []) {
      if (!isObject(e)) continue;
      const name = str(e['name']) ?? '';
      if (typeof e['value'] === 'string') env[name] = e['value'];
      const from = isObject(e['valueFrom']) ? e['valueFrom'] : null;
      const field = from && isObject(from['fieldRef']) ? str(from['fieldRef']['fieldPath']) : undefined;
      if (field === 'metadata.name') env[name] = pod.metadata.name;
      else if (field === 'metadata.namespace') env[name] = ns;
      else if (field === 'status.podIP') env[name] = '127.0.0.1';
      else if (field !== undefined) {
        const m = /^metadata\.labels\['(.+)'\]$/.exec(field);
        if (m?.[1] !== undefined) env[name] = pod.metadata.labels?.[m[1]] ?? '';
      }
      const cmRef = from && isObject(from['configMapKeyRef']) ? from['configMapKeyRef'] : null;
      if (cmRef) {
        const cm = this.store.tryGet(this.type(CM), ns, str(cmRef['name']) ?? '');
        const data = cm && isObject(cm['data']) ? cm['data'] : {};
        env[name] = str(data[str(cmRef['key']) ?? '']) ?? '';
      }
    }
    return env;
  }

  private async launch(pod: KObject): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const key = `${ns}/${pod.metadata.name}`;
    this.starting.add(key);
    try {
      const spec = isObject(pod['spec']) ? pod['spec'] : {};
      const containers = Array.isArray(spec['containers']) ? spec['containers'] : [];
      const container = containers.find((c) => isObject(c) && c['name'] === 'broker') ?? containers[0];
      if (!isObject(container)) throw new Error(`pod ${key} has no container`);
      const env = this.envOf(pod, container);
      const expand = (s: string): string => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => env[v] ?? m);
      const args = (Array.isArray(container['args']) ? container['args'] : []).map((a) => expand(String(a)));
      const ports = await this.portsOf(ns, pod.metadata.name);
      const dataDir = join(this.opts.dir, ns, pod.metadata.name, 'data');
      mkdirSync(dataDir, { recursive: true });
      const local: Record<string, string> = {
        '--listen': `127.0.0.1:${ports.kafka}`,
        '--advertised': `127.0.0.1:${ports.kafka}`,
        '--http': `127.0.0.1:${ports.http}`,
        '--data-dir': dataDir,
      };
      const rewritten: string[] = [];
      for (let i = 0; i < args.length; i++) {
        const a = args[i] ?? '';
        const over = local[a];
        if (over !== undefined) {
          rewritten.push(a, over);
          i++;
        } else rewritten.push(a);
      }
      rewritten.push(...(this.extraArgs.get(key) ?? []));
      const log = createWriteStream(this.logFile(ns, pod.metadata.name), { flags: 'a' });
      const child = spawn(process.execPath, [BROKER_MAIN, 'broker', ...rewritten], {
        env: { ...process.env, ...env, STRAND_LOG_LEVEL: process.env['STRAND_LOG_LEVEL'] ?? 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      this.procs.set(key, { child, exited, log, killing: false });
      void exited.then(() => {
        // Crashed (not deleted): the kubelet would restart the container; so do we, next tick.
        if (this.procs.get(key)?.child === child) this.procs.delete(key);
        log.end();
      });
      this.setReady(pod, false);
    } finally {
      this.starting.delete(key);
    }
  }

  private async probe(pod: KObject): Promise<void> {
    const ns = pod.metadata.namespace ?? 'default';
    const ports = this.ports.get(`${ns}/${pod.metadata.name}`);
    if (!ports || !this.procs.has(`${ns}/${pod.metadata.name}`)) return;
    let ok = false;
    try {
      const res = await fetch(`http://127.0.0.1:${ports.http}/readyz`, { signal: AbortSignal.timeout(1000) });
      ok = res.status === 200;
      await res.body?.cancel();
    } catch {
      ok = false;
    }
    this.setReady(pod, ok);
  }

  private setReady(pod: KObject, ready: boolean): void {
    if (this.podReady(pod) === ready && isObject(pod['status']) && pod['status']['phase'] === 'Running') return;
    const now = new Date().toISOString();
    const podType = this.type(POD);
    const cur = this.store.tryGet(podType, pod.metadata.namespace, pod.metadata.name);
    if (!cur || cur.metadata.uid !== pod.metadata.uid) return;
    const status = { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] };
    this.store.replace(podType, pod.metadata.namespace, pod.metadata.name, { ...cur, status }, 'status');
  }

  private async kill(key: string, signal: NodeJS.Signals): Promise<void> {
    const p = this.procs.get(key);
    if (!p) return;
    // Signal once: a second SIGTERM makes the broker skip its controlled shutdown.
    if (p.killing) return p.exited;
    p.killing = true;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
    const t = setTimeout(() => p.child.kill('SIGKILL'), this.opts.graceMs ?? 15_000);
    await p.exited;
    clearTimeout(t);
    if (this.procs.get(key) === p) this.procs.delete(key);
  }
}
