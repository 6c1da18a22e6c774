/**
 * Controller election: the `<cluster>_controller` bucket with max_age = lease (ARCHITECTURE.md).
 * Key `active` -> {brokerId, epoch} is taken with `create` (fails if someone holds it) and
 * renewed with `update(revision)` every lease/3. A holder that cannot renew loses the lease in
 * NATS by expiry and locally by its own deadline, whichever it notices first. nats-server 2.9
 * does not tell watchers about expiry, so every broker polls the key.
 *
 * Epochs: the last epoch lives in the metadata store (`controller.epoch` in `<cluster>_meta`,
 * no TTL) so it survives lease expiry. A contender that created the lease becomes controller
 * only after it CASes `controller.epoch` from the value it read (E) to E+1; if that CAS fails
 * someone else claimed E+1 and the contender deletes its lease. Epochs of successive
 * controllers are therefore a CAS chain: strictly increasing, never shared.
 *
 * Fencing (see README.md): before acting, the controller calls assertStillController(), which
 * (1) checks its local lease deadline, which never falls after the lease's expiry in NATS, and
 * (2) CASes `controller.epoch` onto itself at the revision it last wrote. A successor must CAS
 * that key before it acts, so a deposed controller's check fails from then on; and its
 * metadata writes are CASes on the keys they change, so a write already in flight cannot
 * overwrite anything a successor wrote.
 */
import { performance } from 'node:perf_hooks';
import type { KV, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bucketName, decodeValue, encodeValue, isRevisionMismatch, openTtlBucket } from './nats-store.js';
import { RevisionMismatchError, type MetadataStore } from './types.js';

export const CONTROLLER_EPOCH_KEY = 'controller.epoch';
export const ACTIVE_KEY = 'active';
export const DEFAULT_LEASE_MS = 6000;

const LeaseValueSchema = z.object({ brokerId: z.number().int(), epoch: z.number().int().min(1) });
type LeaseValue = z.infer<typeof LeaseValueSchema>;

export interface ControllerState {
  /** -1 when no broker holds the lease. */
  readonly controllerId: number;
  /** Epoch of the current controller, or the last one when there is none. */
  readonly epoch: number;
  readonly isMe: boolean;
}

export class NotControllerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotControllerError';
  }
}

export interface ControllerLeaseOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly brokerId: number;
  /** The cluster metadata store; holds `controller.epoch`. */
  readonly store: MetadataStore;
  readonly leaseMs?: number;
  /** Default lease / 3. */
  readonly renewMs?: number;
  /** How often a non-holder checks the lease; default = renewMs. */
  readonly pollMs?: number;
  /** Contend only while this holds (e.g. the broker registry session is valid). */
  readonly canLead?: () => boolean;
  readonly replicas?: number;
  readonly logger?: Logger;
}

interface Held {
  readonly epoch: number;
  leaseRevision: number;
  epochRevision: number;
  /** performance.now() until which the lease certainly exists in NATS. */
  validUntil: number;
}

export class ControllerLease {
  readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly pollMs: number;
  private held: Held | null = null;
  private state: ControllerState = { controllerId: -1, epoch: 0, isMe: false };
  private readonly listeners = new Set<(s: ControllerState) => void>();
  private timer: NodeJS.Timeout | null = null;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** Serialises epoch CASes so two concurrent asserts do not fail each other. */
  private assertChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly opts: ControllerLeaseOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.renewMs = opts.renewMs ?? Math.floor(this.leaseMs / 3);
    this.pollMs = opts.pollMs ?? this.renewMs;
  }

  /** Opens the bucket, runs one election round, then keeps renewing / polling. */
  static async start(opts: ControllerLeaseOptions): Promise<ControllerLease> {
    const kv = await openTtlBucket(opts.nc, bucketName(opts.cluster, 'controller'), {
      ttlMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
      renewMs: opts.renewMs,
      replicas: opts.replicas,
    });
    const l = new ControllerLease(kv, opts);
    await l.tick();
    l.schedule();
    return l;
  }

  current(): ControllerState {
    return this.state;
  }

  isController(): boolean {
    const h = this.held;
    if (h && performance.now() >= h.validUntil) this.lose('lease ran out before it could be renewed');
    return this.held !== null;
  }

  onChange(listener: (s: ControllerState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Call before every controller decision. Resolves with our epoch, or throws
   * NotControllerError (and gives the lease up) if another controller may exist.
   */
  assertStillController(): Promise<number> {
    const run = this.assertChain.then(() => this.checkEpoch());
    this.assertChain = run.catch(() => undefined);
    return run;
  }

  /** Stops contending; a holder deletes the lease so another broker takes over at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking?.catch(() => undefined);
    await this.relinquish('closing');
  }

  private async checkEpoch(): Promise<number> {
    const h = this.held;
    if (!h || performance.now() >= h.validUntil) throw new NotControllerError(`broker ${this.opts.brokerId} is not the controller`);
    try {
      h.epochRevision = await this.opts.store.update(CONTROLLER_EPOCH_KEY, { epoch: h.epoch, brokerId: this.opts.brokerId }, h.epochRevision);
    } catch (err) {
      if (err instanceof RevisionMismatchError) {
        this.lose('controller.epoch moved: a newer controller exists');
        throw new NotControllerError(`controller epoch ${h.epoch} was superseded`);
      }
      throw err;
    }
    if (this.held !== h || performance.now() >= h.validUntil) throw new NotControllerError(`broker ${this.opts.brokerId} lost the controller lease`);
    return h.epoch;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule());
    }, this.held ? this.renewMs : this.pollMs);
  }

  private tick(): Promise<void> {
    this.ticking ??= this.round()
      .catch((err: unknown) => this.opts.logger?.warn({ err }, 'controller lease round failed'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async round(): Promise<void> {
    if (this.closed) return;
    if (this.held) {
      if (this.opts.canLead && !this.opts.canLead()) return this.relinquish('cannot lead (session lost)');
      return this.renew(this.held);
    }
    const e = await this.kv.get(ACTIVE_KEY);
    const value = e?.operation === 'PUT' ? parseLease(e.value) : null;
    const epochRec = await this.readEpoch();
    if (value && value.brokerId === this.opts.brokerId) {
      // Our id but not our lease: left by an earlier run of this broker. Clear it, then contend.
      await this.kv.delete(ACTIVE_KEY, { previousSeq: e?.revision ?? 0 }).catch(() => undefined);
      return;
    }
    if (value) {
      // A lease whose epoch was never recorded is a contender that lost the epoch CAS (or has
      // not made it yet): not a controller.
      const confirmed = epochRec.value?.epoch === value.epoch && epochRec.value.brokerId === value.brokerId;
      this.publish(confirmed ? { controllerId: value.brokerId, epoch: value.epoch, isMe: false } : { controllerId: -1, epoch: epochRec.value?.epoch ?? 0, isMe: false });
      return;
    }
    this.publish({ controllerId: -1, epoch: epochRec.value?.epoch ?? 0, isMe: false });
    if (this.opts.canLead && !this.opts.canLead()) return;
    await this.acquire(epochRec);
  }

  private async readEpoch(): Promise<{ value: LeaseValue | null; revision: number }> {
    const rec = await this.opts.store.get(CONTROLLER_EPOCH_KEY);
    if (!rec) return { value: null, revision: 0 };
    const parsed = LeaseValueSchema.safeParse(rec.value);
    if (!parsed.success) throw new Error(`malformed ${CONTROLLER_EPOCH_KEY}`);
    return { value: parsed.data, revision: rec.revision };
  }

  private async acquire(prev: { value: LeaseValue | null; revision: number }): Promise<void> {
    const epoch = (prev.value?.epoch ?? 0) + 1;
    const me: LeaseValue = { brokerId: this.opts.brokerId, epoch };
    const sentAt = performance.now();
    let leaseRevision: number;
    try {
      leaseRevision = await this.kv.create(ACTIVE_KEY, encodeValue(me));
    } catch (err) {
      if (isRevisionMismatch(err)) return; // someone else got there first
      throw err;
    }
    let epochRevision: number;
    try {
      epochRevision = prev.value
        ? await this.opts.store.update(CONTROLLER_EPOCH_KEY, me, prev.revision)
        : await this.opts.store.create(CONTROLLER_EPOCH_KEY, me);
    } catch (err) {
      // Another contender claimed this epoch (its lease since expired): ours must not stand.
      await this.kv.delete(ACTIVE_KEY, { previousSeq: leaseRevision }).catch(() => undefined);
      if (err instanceof RevisionMismatchError) return;
      throw err;
    }
    const validUntil = sentAt + this.leaseMs - this.margin();
    if (this.closed || performance.now() >= validUntil) {
      await this.kv.delete(ACTIVE_KEY, { previousSeq: leaseRevision }).catch(() => undefined);
      return;
    }
    this.held = { epoch, leaseRevision, epochRevision, validUntil };
    this.armDeadline();
    this.opts.logger?.info({ brokerId: this.opts.brokerId, epoch }, 'became controller');
    this.publish({ controllerId: this.opts.brokerId, epoch, isMe: true });
  }

  private async renew(h: Held): Promise<void> {
    const sentAt = performance.now();
    try {
      h.leaseRevision = await this.kv.update(ACTIVE_KEY, encodeValue({ brokerId: this.opts.brokerId, epoch: h.epoch }), h.leaseRevision);
      if (this.held === h) {
        h.validUntil = sentAt + this.leaseMs - this.margin();
        this.armDeadline();
      }
    } catch (err) {
      if (isRevisionMismatch(err)) return this.lose('lease renewal rejected: it expired or was taken');
      this.opts.logger?.warn({ err }, 'controller lease renewal failed; retrying until the lease runs out');
      if (performance.now() >= h.validUntil) this.lose('lease ran out while NATS was unreachable');
    }
  }

  /** Margin for late timers: we must stop before anyone could see the lease expire. */
  private margin(): number {
    return Math.min(500, this.leaseMs / 10);
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const h = this.held;
    if (!h) return;
    // Timers may fire a fraction of a millisecond early: re-check until really due.
    this.deadlineTimer = setTimeout(() => {
      if (this.held !== h) return;
      if (performance.now() >= h.validUntil) this.lose('lease ran out before it could be renewed');
      else this.armDeadline();
    }, Math.ceil(Math.max(0, h.validUntil - performance.now())));
  }

  private lose(why: string): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.opts.logger?.warn({ brokerId: this.opts.brokerId, epoch: h.epoch, why }, 'lost controller lease');
    this.publish({ controllerId: -1, epoch: h.epoch, isMe: false });
  }

  private async relinquish(why: string): Promise<void> {
    const h = this.held;
    if (!h) return;
    this.lose(why);
    // Only our own lease revision is deleted, never a successor's.
    await this.kv.delete(ACTIVE_KEY, { previousSeq: h.leaseRevision }).catch(() => undefined);
  }

  private publish(next: ControllerState): void {
    const cur = this.state;
    if (cur.controllerId === next.controllerId && cur.epoch === next.epoch && cur.isMe === next.isMe) return;
    this.state = next;
    for (const l of this.listeners) {
      try {
        l(next);
      } catch (err) {
        this.opts.logger?.error({ err }, 'controller listener failed');
      }
    }
  }
}

function parseLease(bytes: Uint8Array): LeaseValue | null {
  try {
    const r = LeaseValueSchema.safeParse(decodeValue(bytes));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
