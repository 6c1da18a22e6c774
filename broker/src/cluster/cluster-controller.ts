/**
 * The Controller in cluster mode (--metadata nats://). Every broker has one; only the holder of
 * the controller lease decides. See README.md "Cluster controller".
 *
 * Admin operations (create/delete topics, partitions, configs, reassignments, elections) are
 * forwarded by a non-controller broker to the active controller over NATS request/reply
 * (subject `_strand.<cluster>.controller.<brokerId>`, as KIP-590 forwards to the KRaft
 * controller), so any broker accepts them, Metadata auto-creation works everywhere, and only
 * the lease holder ever writes topic or leadership state. The caller waits until its own image
 * has the change, as on a single broker. With no controller reachable within the forward
 * timeout the operation fails with NOT_CONTROLLER, which Kafka clients retry.
 *
 * The active controller writes through a fenced store: every create/update/delete first runs
 * ControllerLease.assertStillController() (CAS on controller.epoch), and each write is itself a
 * CAS on the key it changes. The same LocalController logic as a single broker does the topic
 * work; PartitionAdmin does reassignments, elections and the liveness reconciliation.
 *
 * Reconciliation (while holding the lease) runs on lease acquisition, on every broker-registry
 * change (join, leave, restart, shuttingDown), on partition changes (an adding replica joining
 * the ISR advances its reassignment) and on a timer as a safety net. One pass at a time, each
 * bounded and idempotent, so it is safe to re-run after losing and regaining the lease.
 *
 * Failure detection: while holding the lease it also watches every other live broker's Kafka
 * listener (failure-detector.ts); a process found dead has its registration deleted
 * (revision-checked) and is reconciled away at once instead of after the session timeout.
 *
 * Producer ids are not a controller decision: every broker claims blocks with a CAS on the
 * shared `producerIds.block` key, unique across brokers without forwarding.
 */
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.js';
import { NotControllerError, type ControllerLease } from './controller-lease.js';
import { FailureDetector, type ExpelOutcome, type FailureDetectorTiming } from './failure-detector.js';
import type { BrokerView } from './leader-election.js';
import { LocalController, type AppliedMetadataImage } from './local-controller.js';
import type { NatsBrokerRegistration, NatsBrokerRegistry } from './nats-broker-registry.js';
import { decodeValue, encodeValue } from './nats-store.js';
import { PartitionAdmin } from './partition-admin.js';
import { effectiveTopicConfig } from './topic-config.js';
import {
  ControllerError,
  type ConfigOp,
  type Controller,
  type ControllerErrorKind,
  type CreateTopicSpec,
  type ElectionType,
  type KvEntry,
  type MetadataStore,
  type PartitionReassignmentView,
  type PartitionResult,
  type ReassignmentRequest,
  type TopicImage,
  type TopicPartitionRef,
} from './types.js';

export interface ClusterControllerOptions {
  readonly nc: NatsConnection;
  /** The raw cluster metadata store (the controller fences its own writes). */
  readonly store: MetadataStore;
  readonly image: AppliedMetadataImage & { readonly revision: number };
  readonly registry: NatsBrokerRegistry;
  readonly lease: ControllerLease;
  readonly config: BrokerConfig;
  readonly logger?: Logger;
  readonly random?: () => number;
  /** How long a forwarded operation may wait for a reachable controller (default 15 s). */
  readonly forwardTimeoutMs?: number;
  /** Safety-net reconciliation period (default: broker.heartbeat.interval.ms). */
  readonly reconcileIntervalMs?: number;
  /**
   * Fast detection of dead broker processes (failure-detector.ts; README.md "Failure
   * detection"): on by default; false turns it off, an object tunes its timing (tests).
   */
  readonly failureDetection?: boolean | Partial<FailureDetectorTiming>;
}

/** Operations the controller serves for other brokers. */
type Op =
  | { op: 'createTopic'; spec: CreateTopicSpec; validateOnly: boolean }
  | { op: 'deleteTopic'; name: string }
  | { op: 'createPartitions'; name: string; totalCount: number; assignments: number[][] | null; validateOnly: boolean }
  | { op: 'alterTopicConfigs'; name: string; ops: ConfigOp[]; replace: boolean; validateOnly: boolean }
  | { op: 'alterBrokerConfigs'; ops: ConfigOp[]; replace: boolean; validateOnly: boolean }
  | { op: 'alterPartitionReassignments'; items: ReassignmentRequest[] }
  | { op: 'electLeaders'; type: ElectionType; partitions: TopicPartitionRef[] | null };

type Reply = { ok: true; value: unknown; revision: number } | { ok: false; kind: ControllerErrorKind | 'INTERNAL'; message: string };

/** Wraps the store so that every write first proves this broker still holds the lease. */
export class FencedStore implements MetadataStore {
  constructor(
    private readonly inner: MetadataStore,
    private readonly assert: () => Promise<unknown>,
  ) {}
  get(key: string): Promise<KvEntry | null> {
    return this.inner.get(key);
  }
  list(prefix: string): Promise<KvEntry[]> {
    return this.inner.list(prefix);
  }
  watch(prefix: string, onChange: (entry: KvEntry) => void): Promise<{ stop(): void }> {
    return this.inner.watch(prefix, onChange);
  }
  async create(key: string, value: unknown): Promise<number> {
    await this.assert();
    return this.inner.create(key, value);
  }
  async update(key: string, value: unknown, expectedRevision: number): Promise<number> {
    await this.assert();
    return this.inner.update(key, value, expectedRevision);
  }
  async delete(key: string, expectedRevision?: number): Promise<void> {
    await this.assert();
    return this.inner.delete(key, expectedRevision);
  }
  close(): Promise<void> {
    return Promise.resolve(); // the inner store belongs to the cluster wiring
  }
}

export function controllerSubject(cluster: string, brokerId: number): string {
  return `_strand.${cluster}.controller.${brokerId}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ClusterController implements Controller {
  private readonly topics: LocalController;
  private readonly pids: LocalController;
  readonly partitions: PartitionAdmin;
  private sub: Subscription | null = null;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private running: Promise<void> | null = null;
  /** Brokers seen restarting: demoted once (their unflushed tail may be gone), then usable again. */
  private readonly restarted = new Set<number>();
  private stopped = false;
  readonly failureDetector: FailureDetector | null;

  constructor(private readonly opts: ClusterControllerOptions) {
    const fenced = new FencedStore(opts.store, () => opts.lease.assertStillController());
    this.topics = new LocalController({ store: fenced, image: opts.image, config: opts.config, logger: opts.logger, random: opts.random });
    this.pids = new LocalController({ store: opts.store, image: opts.image, config: opts.config, logger: opts.logger });
    this.partitions = new PartitionAdmin({
      store: fenced,
      image: opts.image,
      view: () => this.decisionView(),
      uncleanAllowed: (topic) => {
        const t = opts.image.topic(topic);
        return t ? effectiveTopicConfig(opts.config.settings, opts.image.brokerConfigs(), t.configs).uncleanLeaderElection : false;
      },
      logger: opts.logger,
    });
    const fd = opts.failureDetection ?? true;
    this.failureDetector =
      fd === false
        ? null
        : new FailureDetector({
            selfId: opts.config.nodeId,
            brokers: () => opts.registry.brokers(),
            isActive: () => !this.stopped && opts.lease.isController(),
            onDead: (reg) => this.expel(reg),
            timing: fd === true ? undefined : fd,
            logger: opts.logger,
          });
  }

  /**
   * A death verdict: only the active controller acts (fenced like its other writes), the delete
   * is revision-checked against the condemned incarnation, and the registry is re-read at once,
   * so the reconciliation it triggers already sees the broker gone.
   */
  private async expel(reg: NatsBrokerRegistration): Promise<ExpelOutcome> {
    try {
      await this.opts.lease.assertStillController();
    } catch (err) {
      if (err instanceof NotControllerError) return 'not-controller';
      throw err;
    }
    const outcome = await this.opts.registry.expel(reg.id, reg.incarnation);
    if (outcome === 'expelled') this.kick();
    return outcome;
  }

  /** Liveness from the registry: its live set and shuttingDown flags (any broker may ask). */
  view(): BrokerView {
    const live = new Set<number>();
    const shuttingDown = new Set<number>();
    for (const b of this.opts.registry.brokers()) {
      live.add(b.id);
      if (b.shuttingDown) shuttingDown.add(b.id);
    }
    return { live, shuttingDown };
  }

  /** What the active controller decides on: brokers just seen restarting count as dead for one pass. */
  private decisionView(): BrokerView {
    const v = this.view();
    if (this.restarted.size === 0) return v;
    return { live: new Set([...v.live].filter((id) => !this.restarted.has(id))), shuttingDown: v.shuttingDown };
  }

  start(): void {
    const { lease, registry, image, nc, config } = this.opts;
    this.sub = nc.subscribe(controllerSubject(config.cluster, config.nodeId), { callback: (err, msg) => void (err ? undefined : this.serve(msg)) });
    this.unsubscribe.push(
      lease.onChange((s) => {
        if (s.isMe) this.kick();
        else this.restarted.clear();
        // Watch brokers exactly while we hold the lease.
        this.failureDetector?.sync();
      }),
      registry.onChange(() => {
        this.kick();
        this.failureDetector?.sync();
      }),
      registry.onMembershipChange((c) => {
        // Only the active controller acts on a restart; an old event must not demote later.
        if (c.restarted.length === 0 || !lease.isController()) return;
        for (const b of c.restarted) this.restarted.add(b.id);
        this.kick();
      }),
      image.onChange((d) => {
        if (d.partitionsChanged.length > 0 || d.topicsCreated.length > 0) this.kick();
      }),
    );
    const every = this.opts.reconcileIntervalMs ?? config.settings['broker.heartbeat.interval.ms'];
    const tick = (): void => {
      this.timer = setTimeout(() => {
        this.kick();
        tick();
      }, every);
    };
    tick();
    this.kick();
    this.failureDetector?.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.failureDetector?.stop();
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.unsubscribe) u();
    this.sub?.unsubscribe();
    await this.running?.catch(() => undefined);
  }

  /** Resolves when no reconciliation is running (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  /** Schedule a reconciliation pass (coalesced; only the lease holder runs one). */
  kick(): void {
    if (this.stopped || !this.opts.lease.isController()) return;
    this.dirty = true;
    this.running ??= this.reconcileLoop().finally(() => (this.running = null));
  }

  private async reconcileLoop(): Promise<void> {
    while (this.dirty && !this.stopped && this.opts.lease.isController()) {
      this.dirty = false;
      const demoted = [...this.restarted];
      try {
        const changed = await this.partitions.reconcileAll(() => !this.stopped && this.opts.lease.isController());
        // The restarted brokers have been demoted everywhere; from now on they count as live.
        for (const id of demoted) this.restarted.delete(id);
        if (demoted.length > 0) this.dirty = true;
        if (changed > 0) this.opts.logger?.debug({ changed }, 'reconciled partitions');
      } catch (err) {
        if (err instanceof NotControllerError) return;
        this.opts.logger?.warn({ err }, 'controller reconciliation failed; retrying');
        this.dirty = true;
        await sleep(250);
      }
    }
  }

  // ---- Controller ------------------------------------------------------------------------

  async createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<TopicImage> {
    const value = (await this.call({ op: 'createTopic', spec, validateOnly })) as TopicImage;
    if (validateOnly) return value;
    return this.opts.image.topic(spec.name) ?? value;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.call({ op: 'deleteTopic', name });
  }

  async createPartitions(name: string, totalCount: number, assignments: readonly (readonly number[])[] | null, validateOnly: boolean): Promise<void> {
    await this.call({ op: 'createPartitions', name, totalCount, assignments: assignments ? assignments.map((a) => [...a]) : null, validateOnly });
  }

  async alterTopicConfigs(name: string, ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void> {
    await this.call({ op: 'alterTopicConfigs', name, ops: [...ops], replace, validateOnly });
  }

  async alterBrokerConfigs(ops: readonly ConfigOp[], replace: boolean, validateOnly: boolean): Promise<void> {
    await this.call({ op: 'alterBrokerConfigs', ops: [...ops], replace, validateOnly });
  }

  allocateProducerId(): Promise<number> {
    return this.pids.allocateProducerId();
  }

  async alterPartitionReassignments(items: readonly ReassignmentRequest[]): Promise<PartitionResult[]> {
    return (await this.call({ op: 'alterPartitionReassignments', items: [...items] })) as PartitionResult[];
  }

  listPartitionReassignments(filter: readonly TopicPartitionRef[] | null): PartitionReassignmentView[] {
    return this.partitions.listReassignments(filter);
  }

  async electLeaders(type: ElectionType, partitions: readonly TopicPartitionRef[] | null): Promise<PartitionResult[]> {
    return (await this.call({ op: 'electLeaders', type, partitions: partitions ? [...partitions] : null })) as PartitionResult[];
  }

  // ---- forwarding ------------------------------------------------------------------------

  /** Runs `op` on the active controller: here if we hold the lease, else over NATS. */
  private async call(op: Op): Promise<unknown> {
    const { lease, nc, config, image } = this.opts;
    const deadline = Date.now() + (this.opts.forwardTimeoutMs ?? 15_000);
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ControllerError('NOT_CONTROLLER', 'No active controller could be reached.');
      const reply: Reply = lease.isController()
        ? await this.execute(op)
        : await this.forward(nc, controllerSubject(config.cluster, lease.current().controllerId), op, left);
      if (reply.ok) {
        // Read-your-writes: the caller's next request may be served from this broker's image.
        await image.waitForRevision(reply.revision, Math.max(1000, deadline - Date.now())).catch(() => undefined);
        return reply.value;
      }
      if (reply.kind !== 'NOT_CONTROLLER') throw reply.kind === 'INTERNAL' ? new Error(reply.message) : new ControllerError(reply.kind, reply.message);
      await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
  }

  private async forward(nc: NatsConnection, subject: string, op: Op, timeoutMs: number): Promise<Reply> {
    if (this.opts.lease.current().controllerId < 0) return { ok: false, kind: 'NOT_CONTROLLER', message: 'no controller' };
    try {
      const msg = await nc.request(subject, encodeValue(op), { timeout: Math.min(timeoutMs, 10_000) });
      return decodeValue(msg.data) as Reply;
    } catch (err) {
      // No responder / timeout: the controller moved or is unreachable; retry until the deadline.
      this.opts.logger?.debug({ err, subject }, 'forwarding to the controller failed');
      return { ok: false, kind: 'NOT_CONTROLLER', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private serve(msg: Msg): void {
    let op: Op;
    try {
      op = decodeValue(msg.data) as Op;
    } catch {
      msg.respond(encodeValue({ ok: false, kind: 'INVALID_REQUEST', message: 'malformed controller request' } satisfies Reply));
      return;
    }
    void this.execute(op).then((r) => msg.respond(encodeValue(r)));
  }

  /** Runs an operation as the active controller; NOT_CONTROLLER if we are not (or stop being) it. */
  private async execute(op: Op): Promise<Reply> {
    if (!this.opts.lease.isController()) return { ok: false, kind: 'NOT_CONTROLLER', message: `broker ${this.opts.config.nodeId} is not the controller` };
    try {
      const value = await this.run(op);
      return { ok: true, value: value ?? null, revision: this.opts.image.revision };
    } catch (err) {
      if (err instanceof NotControllerError) return { ok: false, kind: 'NOT_CONTROLLER', message: err.message };
      if (err instanceof ControllerError) return { ok: false, kind: err.kind, message: err.message };
      this.opts.logger?.error({ err, op: op.op }, 'controller operation failed');
      return { ok: false, kind: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private run(op: Op): Promise<unknown> {
    const t = this.topics;
    switch (op.op) {
      case 'createTopic':
        return t.createTopic(op.spec, op.validateOnly);
      case 'deleteTopic':
        return t.deleteTopic(op.name);
      case 'createPartitions':
        return t.createPartitions(op.name, op.totalCount, op.assignments, op.validateOnly);
      case 'alterTopicConfigs':
        return t.alterTopicConfigs(op.name, op.ops, op.replace, op.validateOnly);
      case 'alterBrokerConfigs':
        return t.alterBrokerConfigs(op.ops, op.replace, op.validateOnly);
      // Cluster liveness (registry, shuttingDown) decides these, not the single-broker view.
      case 'alterPartitionReassignments':
        return this.partitions.alterReassignments(op.items);
      case 'electLeaders':
        return this.partitions.electLeaders(op.type, op.partitions);
    }
  }
}
