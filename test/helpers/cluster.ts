/**
 * A real replicated Strand cluster for integration tests: one nats-server with JetStream
 * (broker/src/cluster/test-nats-server.ts) and N broker processes (test/helpers/broker.ts)
 * with node ids 0..N-1, all on 127.0.0.1, each with its own data dir and fixed ports (so a
 * restarted broker registers the same address).
 *
 * Cluster state is read the way a client sees it: Metadata v7 over a raw socket, asked of
 * every broker that is up (not killed, not paused), so `waitForIsr` also proves the brokers'
 * metadata images agree.
 *
 * Only one cluster runs at a time on this 2-core machine, across jest workers too:
 * `useClusterLock()` (call it at the top of a cluster suite) holds a lock directory in the
 * temp dir for the whole file; a second cluster file waits in its beforeAll.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { Admin, Kafka as KafkaClient } from 'kafkajs';
import { TestNatsServer } from '../../broker/src/cluster/test-nats-server.js';
import { freePort, HOST, startBroker, type BrokerProcess, type LogLine } from './broker.js';
import { errorText, sleep, waitFor } from './wait.js';
import { RawConnection, Reader, requestFrame, Writer } from './wire.js';

export type Settings = Readonly<Record<string, string | number | boolean>>;

/** Settings that make failure detection take seconds, not tens of seconds. */
export const FAST_FAILOVER: Settings = {
  'broker.session.timeout.ms': 3000,
  // Kafka keeps heartbeats well inside the session (2 s of 9 s by default); 2 s of 3 s would
  // let one late heartbeat expire a healthy broker.
  'broker.heartbeat.interval.ms': 1000,
  'replica.lag.time.max.ms': 3000,
};

export interface ClusterOptions {
  readonly brokers: number;
  /** `--set` settings for every broker. */
  readonly settings?: Settings;
  /** racks[i] is broker i's `--rack`. */
  readonly racks?: readonly string[];
  /** NATS bucket prefix; default a unique name per cluster. */
  readonly clusterName?: string;
  readonly startTimeoutMs?: number;
}

export interface BrokerMeta {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

export interface PartitionMeta {
  readonly partition: number;
  readonly errorCode: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
}

export interface TopicMeta {
  readonly name: string;
  readonly errorCode: number;
  readonly partitions: readonly PartitionMeta[];
}

export interface ClusterMetadata {
  /** Node id of the broker that answered. */
  readonly from: number;
  readonly brokers: readonly BrokerMeta[];
  readonly controllerId: number;
  readonly topics: readonly TopicMeta[];
}

// ---- Metadata v7 over a raw socket ------------------------------------------------------

const API_METADATA = 3;
let correlation = 1000;

/** Metadata v7 (non-flexible; has leader epoch and offline replicas); never auto-creates. */
export async function fetchMetadata(host: string, port: number, topics: readonly string[] | null, timeoutMs = 2000): Promise<Omit<ClusterMetadata, 'from'>> {
  const w = new Writer();
  if (topics === null) w.int32(-1);
  else {
    w.int32(topics.length);
    for (const t of topics) w.string(t);
  }
  w.int8(0); // allow_auto_topic_creation = false
  const corr = ++correlation;
  const conn = await RawConnection.open(host, port, timeoutMs);
  try {
    const payload = await conn.roundTrip(requestFrame(API_METADATA, 7, corr, w.build()), timeoutMs);
    const r = new Reader(payload);
    const gotCorr = r.int32();
    if (gotCorr !== corr) throw new Error(`Metadata correlation id ${gotCorr} != ${corr}`);
    r.int32(); // throttle_time_ms
    const brokers: BrokerMeta[] = [];
    const nb = r.int32();
    for (let i = 0; i < nb; i++) {
      const nodeId = r.int32();
      const h = r.string();
      const p = r.int32();
      const rack = r.nullableString();
      brokers.push({ nodeId, host: h, port: p, rack });
    }
    r.nullableString(); // cluster_id
    const controllerId = r.int32();
    const out: TopicMeta[] = [];
    const nt = r.int32();
    const ints = (): number[] => {
      const n = r.int32();
      const xs: number[] = [];
      for (let k = 0; k < n; k++) xs.push(r.int32());
      return xs;
    };
    for (let i = 0; i < nt; i++) {
      const errorCode = r.int16();
      const name = r.string();
      r.int8(); // is_internal
      const partitions: PartitionMeta[] = [];
      const np = r.int32();
      for (let k = 0; k < np; k++) {
        const pErr = r.int16();
        const partition = r.int32();
        const leader = r.int32();
        const leaderEpoch = r.int32();
        const replicas = ints();
        const isr = ints();
        const offline = ints();
        partitions.push({ partition, errorCode: pErr, leader, leaderEpoch, replicas, isr, offline });
      }
      partitions.sort((a, b) => a.partition - b.partition);
      out.push({ name, errorCode, partitions });
    }
    return { brokers, controllerId, topics: out };
  } finally {
    conn.destroy();
  }
}

// ---- FindCoordinator v0 over a raw socket -----------------------------------------------

const API_FIND_COORDINATOR = 10;

/** FindCoordinator v0 for a group; returns the coordinator's node id or throws with the error code. */
export async function findGroupCoordinator(host: string, port: number, group: string, timeoutMs = 2000): Promise<number> {
  const corr = ++correlation;
  const conn = await RawConnection.open(host, port, timeoutMs);
  try {
    const payload = await conn.roundTrip(requestFrame(API_FIND_COORDINATOR, 0, corr, new Writer().string(group).build()), timeoutMs);
    const r = new Reader(payload);
    if (r.int32() !== corr) throw new Error('FindCoordinator correlation id mismatch');
    const errorCode = r.int16();
    const nodeId = r.int32();
    if (errorCode !== 0) throw new Error(`FindCoordinator(${group}) error ${errorCode}`);
    return nodeId;
  } finally {
    conn.destroy();
  }
}

// ---- one-cluster-at-a-time lock -----------------------------------------------------------

/** STRAND_CLUSTER_LOCK_DIR overrides it (e.g. to run beside a hung holder you may not kill). */
const LOCK_DIR = process.env.STRAND_CLUSTER_LOCK_DIR ?? join(tmpdir(), 'strand-cluster-tests.lock');
let lockHeld = false;

function lockOwnerAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK_DIR, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // ESRCH: owner gone; EPERM: exists (another user); missing pid file: being created.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return true;
    if (code === 'ENOENT') return true;
    return false;
  }
}

/** Waits (bounded) until no other process runs a test cluster, then takes the lock. */
export async function acquireClusterLock(timeoutMs = 15 * 60_000): Promise<void> {
  if (lockHeld) return;
  const deadline = Date.now() + timeoutMs;
  let staleChecks = 0;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, 'pid'), String(process.pid));
      lockHeld = true;
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (!lockOwnerAlive()) {
      // A pid file may be missing for a moment while its owner creates it: check twice.
      staleChecks += 1;
      if (staleChecks >= 2) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        staleChecks = 0;
        continue;
      }
    } else staleChecks = 0;
    if (Date.now() > deadline) throw new Error(`another test cluster held ${LOCK_DIR} for ${timeoutMs} ms`);
    await sleep(250);
  }
}

export function releaseClusterLock(): void {
  if (!lockHeld) return;
  lockHeld = false;
  rmSync(LOCK_DIR, { recursive: true, force: true });
}

/** Registers beforeAll/afterAll that hold the one-cluster lock for the calling test file. */
export function useClusterLock(): void {
  beforeAll(() => acquireClusterLock(), 16 * 60_000);
  afterAll(() => {
    releaseClusterLock();
  });
}

// ---- the cluster --------------------------------------------------------------------------

export class ClusterBroker {
  private pausedNow = false;

  constructor(
    readonly nodeId: number,
    readonly proc: BrokerProcess,
  ) {}

  get host(): string {
    return this.proc.host;
  }
  get port(): number {
    return this.proc.port;
  }
  get bootstrap(): string {
    return this.proc.bootstrap;
  }
  get pid(): number {
    return this.proc.pid;
  }
  get paused(): boolean {
    return this.pausedNow;
  }
  /** Running and not paused: expected to answer requests. */
  get up(): boolean {
    return this.proc.running && !this.pausedNow;
  }

  /** SIGTERM (controlled shutdown); throws unless it exits 0 within timeoutMs. Returns elapsed ms. */
  stop(timeoutMs = 20_000): Promise<number> {
    if (this.pausedNow) this.resume();
    return this.proc.stop(timeoutMs);
  }

  async kill9(): Promise<void> {
    this.pausedNow = false;
    await this.proc.kill9();
  }

  /** SIGSTOP the process this helper started. */
  pause(): void {
    if (!this.proc.running) throw new Error(`pause(): broker ${this.nodeId} is not running`);
    process.kill(this.proc.pid, 'SIGSTOP');
    this.pausedNow = true;
  }

  resume(): void {
    if (!this.pausedNow) return;
    if (this.proc.running) process.kill(this.proc.pid, 'SIGCONT');
    this.pausedNow = false;
  }

  /** Starts it again on the same port and data dir (must be stopped or killed). */
  restart(): Promise<void> {
    return this.proc.restart();
  }

  logLines(all = true): LogLine[] {
    return this.proc.logLines(all);
  }

  logTail(n = 3000): string {
    return this.proc.logTail(n);
  }
}

export interface WaitOpts {
  readonly timeoutMs?: number;
}

let clusterCounter = 0;

export class Cluster {
  private closed = false;

  constructor(
    readonly nats: TestNatsServer,
    readonly brokers: readonly ClusterBroker[],
    readonly name: string,
  ) {}

  broker(id: number): ClusterBroker {
    const b = this.brokers.find((x) => x.nodeId === id);
    if (b === undefined) throw new Error(`no broker ${id} in this cluster (ids ${this.brokers.map((x) => x.nodeId).join(',')})`);
    return b;
  }

  /** Every broker's address, comma-separated (clients skip the ones that are down). */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap).join(',');
  }

  get addresses(): Array<{ host: string; port: number }> {
    return this.brokers.map((b) => ({ host: b.host, port: b.port }));
  }

  upBrokers(): ClusterBroker[] {
    return this.brokers.filter((b) => b.up);
  }

  /** Metadata from one broker that is up (the first that answers), or from `via`. */
  async metadata(topics: readonly string[] | null, via?: number): Promise<ClusterMetadata> {
    const candidates = via === undefined ? this.upBrokers() : [this.broker(via)];
    let last: unknown = new Error('no broker is up');
    for (const b of candidates) {
      try {
        return { from: b.nodeId, ...(await fetchMetadata(b.host, b.port, topics)) };
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`Metadata failed on every up broker: ${errorText(last)}`);
  }

  /** Metadata for one topic from every broker that is up. */
  async metadataFromAll(topic: string): Promise<Array<{ from: number; topic: TopicMeta | undefined; brokers: readonly BrokerMeta[]; controllerId: number }>> {
    const out: Array<{ from: number; topic: TopicMeta | undefined; brokers: readonly BrokerMeta[]; controllerId: number }> = [];
    for (const b of this.upBrokers()) {
      const md = await fetchMetadata(b.host, b.port, [topic]);
      out.push({ from: b.nodeId, topic: md.topics.find((t) => t.name === topic), brokers: md.brokers, controllerId: md.controllerId });
    }
    return out;
  }

  /** The partition as every up broker reports it; throws unless they all agree on leader, epoch, replicas and ISR. */
  async partitionState(topic: string, partition: number): Promise<PartitionMeta> {
    const views = await this.metadataFromAll(topic);
    if (views.length === 0) throw new Error('no broker is up');
    const states = views.map((v) => {
      const t = v.topic;
      if (t === undefined) throw new Error(`broker ${v.from} does not know topic ${topic}`);
      if (t.errorCode !== 0) throw new Error(`broker ${v.from}: topic ${topic} error ${t.errorCode}`);
      const p = t.partitions.find((x) => x.partition === partition);
      if (p === undefined) throw new Error(`broker ${v.from} does not know ${topic}-${partition}`);
      return { from: v.from, p };
    });
    const key = (p: PartitionMeta): string => `leader=${p.leader} epoch=${p.leaderEpoch} replicas=[${p.replicas.join(',')}] isr=[${[...p.isr].sort((a, b) => a - b).join(',')}]`;
    const first = states[0] as { from: number; p: PartitionMeta };
    const disagree = states.filter((s) => key(s.p) !== key(first.p));
    if (disagree.length > 0) {
      throw new Error(`brokers disagree on ${topic}-${partition}: ${states.map((s) => `broker ${s.from}: ${key(s.p)}`).join('; ')}`);
    }
    return first.p;
  }

  /** Waits until every up broker reports ISR == expected (as a set) for the partition. */
  async waitForIsr(topic: string, partition: number, expected: readonly number[], opts: WaitOpts = {}): Promise<PartitionMeta> {
    const want = [...expected].sort((a, b) => a - b).join(',');
    let last = '';
    try {
      return await waitFor(
        `ISR of ${topic}-${partition} to be [${want}]`,
        async () => {
          const p = await this.partitionState(topic, partition);
          last = `leader=${p.leader} epoch=${p.leaderEpoch} replicas=[${p.replicas.join(',')}] isr=[${p.isr.join(',')}]`;
          return [...p.isr].sort((a, b) => a - b).join(',') === want ? p : undefined;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100 },
      );
    } catch (err) {
      throw new Error(`${errorText(err)} (last seen: ${last})`);
    }
  }

  /** Waits until every up broker reports, for each partition, a leader and ISR == all its replicas. */
  async waitForFullIsr(topic: string, partitions: number, opts: WaitOpts = {}): Promise<PartitionMeta[]> {
    const out: PartitionMeta[] = [];
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (let p = 0; p < partitions; p++) {
      let last = '';
      const state = await waitFor(
        `a full ISR for ${topic}-${p}`,
        async () => {
          const s = await this.partitionState(topic, p);
          last = `leader=${s.leader} epoch=${s.leaderEpoch} replicas=[${s.replicas.join(',')}] isr=[${s.isr.join(',')}]`;
          const full = s.replicas.length > 0 && [...s.isr].sort((a, b) => a - b).join(',') === [...s.replicas].sort((a, b) => a - b).join(',');
          return full && s.leader >= 0 ? s : undefined;
        },
        { timeoutMs: Math.max(500, deadline - Date.now()), intervalMs: 100 },
      ).catch((err: unknown) => {
        throw new Error(`${errorText(err)} (last seen: ${last})`);
      });
      out.push(state);
    }
    return out;
  }

  /**
   * The partition's leader once every up broker agrees on one that is up (and optionally
   * satisfies `accept`, e.g. "not the broker just killed").
   */
  async leaderOf(topic: string, partition: number, accept: (leader: number) => boolean = () => true, opts: WaitOpts = {}): Promise<number> {
    let last = '';
    try {
      const p = await waitFor(
        `an agreed, live leader for ${topic}-${partition}`,
        async () => {
          const s = await this.partitionState(topic, partition);
          last = `leader=${s.leader} epoch=${s.leaderEpoch} isr=[${s.isr.join(',')}]`;
          if (s.leader < 0) return undefined;
          if (!this.brokers.some((b) => b.nodeId === s.leader && b.up)) return undefined;
          return accept(s.leader) ? s : undefined;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100 },
      );
      return p.leader;
    } catch (err) {
      throw new Error(`${errorText(err)} (last seen: ${last})`);
    }
  }

  /** Waits until every up broker lists exactly `ids` as the live brokers. */
  async waitForBrokers(ids: readonly number[], opts: WaitOpts = {}): Promise<void> {
    const want = [...ids].sort((a, b) => a - b).join(',');
    let last = '';
    await waitFor(
      `every up broker to list brokers [${want}]`,
      async () => {
        const views: string[] = [];
        for (const b of this.upBrokers()) {
          const md = await fetchMetadata(b.host, b.port, []);
          const got = md.brokers.map((x) => x.nodeId).sort((a, c) => a - c).join(',');
          views.push(`broker ${b.nodeId}: [${got}] controller ${md.controllerId}`);
          if (got !== want || md.controllerId < 0) {
            last = views.join('; ');
            return false;
          }
        }
        return true;
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 100 },
    ).catch((err: unknown) => {
      throw new Error(`${errorText(err)} (last seen: ${last})`);
    });
  }

  /**
   * Each up broker's own view of the topic's replicas (its HTTP /v1/topics/<name>: leader,
   * epoch, ISR and its local LEO/HW), for failure messages. Best effort, never throws.
   */
  async replicaViews(topic: string): Promise<string> {
    const lines: string[] = [];
    for (const b of this.upBrokers()) {
      try {
        const res = await fetch(`http://${b.host}:${b.proc.httpPort}/v1/topics/${encodeURIComponent(topic)}`, { signal: AbortSignal.timeout(1500) });
        const body = (await res.json()) as {
          partitionDetails?: Array<{ partition: number; leader: number; leaderEpoch: number; isr: number[]; local: { isLeader: boolean; logEndOffset: number; highWatermark: number } | null }>;
        };
        const parts = (body.partitionDetails ?? []).map(
          (d) => `p${d.partition} leader ${d.leader} epoch ${d.leaderEpoch} isr [${d.isr.join(',')}] ${d.local === null ? 'no local replica' : `${d.local.isLeader ? 'LEADER' : 'follower'} LEO ${d.local.logEndOffset} HW ${d.local.highWatermark}`}`,
        );
        lines.push(`broker ${b.nodeId}: ${res.status === 200 ? parts.join('; ') : `HTTP ${res.status}`}`);
      } catch (err) {
        lines.push(`broker ${b.nodeId}: ${errorText(err)}`);
      }
    }
    return `replica views of ${topic} (GET /v1/topics):\n  ${lines.join('\n  ')}`;
  }

  /** Log tails of every broker, for failure messages. */
  logs(n = 2500): string {
    return this.brokers.map((b) => `--- broker ${b.nodeId} (pid ${b.pid}) ---\n${b.logTail(n)}`).join('\n') + `\n--- nats ---\n${this.nats.recentLog()}`;
  }

  /** Kills every broker (SIGKILL after SIGCONT) and the nats-server this cluster started. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    liveClusters.delete(this);
    for (const b of this.brokers) b.resume();
    await Promise.all(this.brokers.map((b) => b.proc.cleanup()));
    await this.nats.dispose();
  }
}

const liveClusters = new Set<Cluster>();

/** Starts nats-server (JetStream) and `brokers` brokers (ids 0..n-1); resolves when all list each other. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  clusterCounter += 1;
  const name = opts.clusterName ?? `t${process.pid}x${clusterCounter}x${Date.now().toString(36)}`;
  const nats = await TestNatsServer.start();
  const started: ClusterBroker[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < opts.brokers) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const settled = await Promise.allSettled(
      ports.map(async (port, nodeId) => {
        const rack = opts.racks?.[nodeId];
        const proc = await startBroker({
          port,
          settings: opts.settings ?? {},
          startTimeoutMs: opts.startTimeoutMs ?? 30_000,
          extraArgs: ['--node-id', String(nodeId), '--metadata', nats.url, '--cluster', name, ...(rack === undefined ? [] : ['--rack', rack])],
        });
        const b = new ClusterBroker(nodeId, proc);
        started.push(b);
        return b;
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const procs = [...started].sort((a, b) => a.nodeId - b.nodeId);
    const cluster = new Cluster(nats, procs, name);
    liveClusters.add(cluster);
    await cluster.waitForBrokers(procs.map((b) => b.nodeId), { timeoutMs: 20_000 }).catch((err: unknown) => {
      throw new Error(`${errorText(err)}\n${cluster.logs()}`);
    });
    return cluster;
  } catch (err) {
    for (const b of started) await b.proc.cleanup().catch(() => undefined);
    await nats.dispose().catch(() => undefined);
    throw err;
  }
}

process.on('exit', () => {
  // Last resort if a suite dies without closing its cluster: the brokers are killed by
  // broker.ts's own exit hook; kill this cluster's nats-server by the PID we started.
  for (const c of liveClusters) {
    const pid = c.nats.pid;
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  releaseClusterLock();
});

/** Closes every cluster this module started (afterAll / afterEach). */
export async function closeClusters(): Promise<void> {
  const all = [...liveClusters];
  liveClusters.clear();
  for (const c of all) await c.close();
}

/** "127.0.0.1:p1,127.0.0.1:p2" for the given brokers. */
export function bootstrapOf(brokers: readonly ClusterBroker[]): string {
  return brokers.map((b) => `${HOST}:${b.port}`).join(',');
}

// ---- kafkajs against a cluster ------------------------------------------------------------

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

/** A kafkajs client bootstrapped with every broker of the cluster. */
export function clusterKafka(cluster: Cluster, clientId = 'strand-cluster-test'): KafkaClient {
  return new kafkajs.Kafka({
    clientId,
    brokers: cluster.brokers.map((b) => b.bootstrap),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 2000 },
  });
}

export async function withClusterAdmin<T>(cluster: Cluster, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = clusterKafka(cluster, 'strand-cluster-admin').admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Explicit replicas per partition (then partitions/replicationFactor are ignored). */
  readonly replicaAssignment?: ReadonlyArray<readonly number[]>;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * Creates a topic with kafkajs admin and waits until every up broker reports every
 * partition with a leader and a full ISR.
 */
export async function createClusterTopic(cluster: Cluster, spec: TopicSpec, opts: WaitOpts = {}): Promise<PartitionMeta[]> {
  const configEntries = Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value }));
  await withClusterAdmin(cluster, async (admin) => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      timeout: 15_000,
      topics: [
        spec.replicaAssignment === undefined
          ? { topic: spec.topic, numPartitions: spec.partitions ?? 1, replicationFactor: spec.replicationFactor ?? cluster.brokers.length, configEntries }
          : { topic: spec.topic, replicaAssignment: spec.replicaAssignment.map((replicas, partition) => ({ partition, replicas: [...replicas] })), configEntries },
      ],
    });
    if (!created) throw new Error(`kafkajs createTopics(${spec.topic}) returned false`);
  });
  const n = spec.replicaAssignment?.length ?? spec.partitions ?? 1;
  return cluster.waitForFullIsr(spec.topic, n, opts);
}
