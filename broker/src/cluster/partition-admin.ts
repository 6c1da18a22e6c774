/**
 * Controller-side partition writes (reassignment, leader election, liveness reconciliation),
 * shared by the single-broker LocalController and the cluster's active controller. Decisions
 * are the pure functions of leader-election.ts and reassignment-planner.ts; this module only
 * reads, CASes at the revision read, and re-decides on conflict. In a cluster the store given
 * here is fenced (every write first asserts the controller lease).
 */
import type { Logger } from 'pino';
import { Keys, PartitionStateSchema } from './keys.js';
import { electPreferred, electUnclean, reconcileLeadership, type BrokerView } from './leader-election.js';
import type { AppliedMetadataImage } from './local-controller.js';
import { isReassigning, planReassignment, progressReassignment } from './reassignment-planner.js';
import {
  RevisionMismatchError,
  type ControllerErrorKind,
  type ElectionType,
  type MetadataStore,
  type PartitionReassignmentView,
  type PartitionResult,
  type PartitionState,
  type ReassignmentRequest,
  type TopicPartitionRef,
} from './types.js';

export interface PartitionAdminOptions {
  readonly store: MetadataStore;
  readonly image: AppliedMetadataImage;
  /** Current broker liveness. */
  readonly view: () => BrokerView;
  /** unclean.leader.election.enable as effective for a topic. */
  readonly uncleanAllowed: (topic: string) => boolean;
  readonly logger?: Logger;
}

type Step = PartitionState | null | { readonly error: ControllerErrorKind; readonly message: string };

const MAX_CAS_ATTEMPTS = 10;

export class PartitionAdmin {
  constructor(private readonly opts: PartitionAdminOptions) {}

  /**
   * Read-decide-CAS on one partition. `decide` returns the next state, null for no change, or
   * an error. Resolves with the written state (or null) once this broker's image has it.
   */
  async update(topic: string, partition: number, decide: (s: PartitionState) => Step): Promise<PartitionState | null> {
    const key = Keys.partition(topic, partition);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.opts.store.get(key);
      const parsed = entry ? PartitionStateSchema.safeParse(entry.value) : null;
      if (!entry || !parsed?.success || !this.opts.image.topic(topic)) throw new PartitionError('UNKNOWN_TOPIC_OR_PARTITION', `Partition ${topic}-${partition} does not exist.`);
      const next = decide(parsed.data);
      if (next === null) return null;
      if ('error' in next) throw new PartitionError(next.error, next.message);
      try {
        const revision = await this.opts.store.update(key, next, entry.revision);
        this.opts.logger?.info(
          { topic, partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr, replicas: next.replicas, adding: next.addingReplicas, removing: next.removingReplicas },
          'partition state changed',
        );
        await this.opts.image.waitForRevision(revision, 10_000).catch(() => undefined);
        return next;
      } catch (err) {
        if (!(err instanceof RevisionMismatchError) || attempt >= MAX_CAS_ATTEMPTS) throw err;
      }
    }
  }

  /** Every known partition (of visible topics). */
  private allPartitions(): TopicPartitionRef[] {
    const out: TopicPartitionRef[] = [];
    for (const t of this.opts.image.topics()) for (const p of t.partitions) out.push({ topic: t.name, partition: p.partition });
    return out;
  }

  private async each(refs: readonly TopicPartitionRef[], fn: (r: TopicPartitionRef) => Promise<unknown>): Promise<PartitionResult[]> {
    const out: PartitionResult[] = [];
    for (const r of refs) {
      try {
        await fn(r);
        out.push({ topic: r.topic, partition: r.partition, error: null });
      } catch (err) {
        out.push({ topic: r.topic, partition: r.partition, error: toPartitionError(err) });
      }
    }
    return out;
  }

  alterReassignments(items: readonly ReassignmentRequest[]): Promise<PartitionResult[]> {
    const registered = new Set(this.opts.image.brokers().map((b) => b.id));
    return this.each(items, (r) => {
      const target = items.find((i) => i.topic === r.topic && i.partition === r.partition)?.replicas ?? null;
      return this.update(r.topic, r.partition, (s) => {
        const plan = planReassignment(s, target, this.opts.view(), (id) => registered.has(id));
        if (plan.kind === 'error') return { error: plan.error, message: plan.message };
        if (plan.kind === 'noop') return null;
        // A move whose new replicas are already in sync (or a pure removal) completes at once.
        return progressReassignment(plan.state, this.opts.view()) ?? plan.state;
      });
    });
  }

  listReassignments(filter: readonly TopicPartitionRef[] | null): PartitionReassignmentView[] {
    const out: PartitionReassignmentView[] = [];
    for (const r of filter ?? this.allPartitions()) {
      const s = this.opts.image.topic(r.topic)?.partitions[r.partition];
      if (!s || !isReassigning(s)) continue;
      out.push({ topic: s.topic, partition: s.partition, replicas: s.replicas, addingReplicas: s.addingReplicas, removingReplicas: s.removingReplicas });
    }
    return out;
  }

  async electLeaders(type: ElectionType, refs: readonly TopicPartitionRef[] | null): Promise<PartitionResult[]> {
    const all = refs === null;
    const results = await this.each(refs ?? this.allPartitions(), (r) =>
      this.update(r.topic, r.partition, (s) => {
        const o = type === 'preferred' ? electPreferred(s, this.opts.view()) : electUnclean(s, this.opts.view());
        return o.kind === 'elected' ? o.state : { error: o.error, message: o.message };
      }),
    );
    // For "all partitions", Kafka reports only the partitions it tried to elect.
    return all ? results.filter((r) => r.error?.kind !== 'ELECTION_NOT_NEEDED' && r.error?.kind !== 'PREFERRED_LEADER_NOT_AVAILABLE') : results;
  }

  /**
   * Bring every partition in line with broker liveness and advance reassignments. Bounded
   * (one pass) and idempotent; returns how many partitions were changed.
   */
  async reconcileAll(shouldContinue: () => boolean = () => true): Promise<number> {
    let changed = 0;
    for (const r of this.allPartitions()) {
      if (!shouldContinue()) break;
      const s = this.opts.image.topic(r.topic)?.partitions[r.partition];
      if (!s || reconcileStep(s, this.opts.view(), this.opts.uncleanAllowed(r.topic)) === null) continue;
      try {
        const next = await this.update(r.topic, r.partition, (cur) => reconcileStep(cur, this.opts.view(), this.opts.uncleanAllowed(r.topic)));
        if (next) changed++;
      } catch (err) {
        if (err instanceof PartitionError) continue; // deleted meanwhile
        throw err;
      }
    }
    return changed;
  }
}

/** Liveness first, then reassignment progress on the result. */
export function reconcileStep(s: PartitionState, view: BrokerView, unclean: boolean): PartitionState | null {
  const led = reconcileLeadership(s, view, unclean);
  const base = led ?? s;
  const moved = progressReassignment(base, view);
  if (!moved) return led;
  // progressReassignment bumped epochs relative to `base`; one write carries both steps.
  return moved;
}

export class PartitionError extends Error {
  constructor(
    readonly kind: ControllerErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PartitionError';
  }
}

function toPartitionError(err: unknown): { kind: ControllerErrorKind; message: string } {
  if (err instanceof PartitionError) return { kind: err.kind, message: err.message };
  if (err instanceof Error && 'kind' in err && typeof err.kind === 'string') return { kind: err.kind as ControllerErrorKind, message: err.message };
  if (err instanceof Error && err.name === 'NotControllerError') return { kind: 'NOT_CONTROLLER', message: err.message };
  return { kind: 'REQUEST_TIMED_OUT', message: err instanceof Error ? err.message : String(err) };
}
