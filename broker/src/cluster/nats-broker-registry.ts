/**
 * Broker registry for a cluster: the `<cluster>_brokers` bucket (ARCHITECTURE.md). Each broker
 * re-puts `<brokerId>` -> {id, host, port, rack, incarnation} every heartbeat (an unconditional put, so an
 * entry deleted while the broker lives is re-created by the next heartbeat); the bucket's
 * max_age (the session timeout) removes the entry of a broker that stopped. nats-server 2.9
 * does not tell watchers about expiry, so the live set is found by polling the bucket.
 *
 * Session: a broker that cannot refresh its entry must assume the others have dropped it. Its
 * entry was stored no earlier than the put was sent, so it lives at least until
 * send time + session timeout; past that (minus a margin for timer lateness) the broker's
 * session is invalid and it must stop acting as a partition leader until a heartbeat succeeds.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { KV, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BrokerRegistrationSchema } from './keys.js';
import type { BrokerRegistry } from './metadata-image.js';
import { bucketName, decodeValue, encodeValue, isRevisionMismatch, openTtlBucket, snapshotBucket } from './nats-store.js';
import type { BrokerRegistration } from './types.js';

export interface NatsBrokerRegistration extends BrokerRegistration {
  /** Random per process start: tells a restarted broker from one that kept running. */
  readonly incarnation: string;
  /** Set by controlled shutdown: the controller moves leaderships away and drops it from ISRs. */
  readonly shuttingDown?: boolean;
}

export const NatsBrokerRegistrationSchema = BrokerRegistrationSchema.extend({ incarnation: z.string().min(1), shuttingDown: z.boolean().optional() });

export const DEFAULT_SESSION_TIMEOUT_MS = 6000;

export interface MembershipChange {
  readonly joined: readonly NatsBrokerRegistration[];
  readonly left: readonly NatsBrokerRegistration[];
  /** Same id, new incarnation: the broker restarted between two polls. */
  readonly restarted: readonly NatsBrokerRegistration[];
}

export interface NatsBrokerRegistryOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  /** This broker's registration; null for an observer that only reads the live set. */
  readonly self: BrokerRegistration | null;
  readonly incarnation?: string;
  /** Bucket max_age; default 6 s. */
  readonly sessionTimeoutMs?: number;
  /** Default session / 3, so two heartbeats may be lost before the entry expires. */
  readonly heartbeatMs?: number;
  /** How often the live set is re-read; default = heartbeat. */
  readonly pollMs?: number;
  readonly replicas?: number;
  readonly logger?: Logger;
}

export class NatsBrokerRegistry implements BrokerRegistry {
  readonly incarnation: string;
  readonly sessionTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private live = new Map<number, NatsBrokerRegistration>();
  private readonly listeners = new Set<() => void>();
  private readonly membershipListeners = new Set<(c: MembershipChange) => void>();
  private readonly sessionListeners = new Set<(valid: boolean) => void>();
  /** performance.now() until which our entry certainly exists; monotonic, immune to clock jumps. */
  private validUntil = 0;
  private sessionReported = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private heartbeating = false;
  private shuttingDown = false;
  private polling: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly opts: NatsBrokerRegistryOptions,
  ) {
    this.incarnation = opts.incarnation ?? randomUUID();
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.heartbeatMs = opts.heartbeatMs ?? Math.floor(this.sessionTimeoutMs / 3);
    this.pollMs = opts.pollMs ?? this.heartbeatMs;
  }

  /** Opens the bucket, registers (first heartbeat must succeed) and loads the live set. */
  static async start(opts: NatsBrokerRegistryOptions): Promise<NatsBrokerRegistry> {
    const kv = await openTtlBucket(opts.nc, bucketName(opts.cluster, 'brokers'), {
      ttlMs: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      renewMs: opts.heartbeatMs,
      replicas: opts.replicas,
    });
    const r = new NatsBrokerRegistry(kv, opts);
    if (opts.self) {
      const existing = await kv.get(String(opts.self.id));
      if (existing?.operation === 'PUT') {
        opts.logger?.warn({ brokerId: opts.self.id }, 'a registration with this broker id is live; replacing it (restart within the session timeout, or a duplicate id)');
      }
      if (!(await r.heartbeat())) throw new Error('could not register broker in NATS');
    }
    await r.poll();
    r.scheduleHeartbeat();
    r.schedulePoll();
    return r;
  }

  /** The live brokers as of the last poll (the BrokerRegistry seam). */
  brokers(): readonly NatsBrokerRegistration[] {
    return [...this.live.values()].sort((a, b) => a.id - b.id);
  }

  /** Any change to the live set (the BrokerRegistry seam; MetadataImageImpl emits brokersChanged). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onMembershipChange(listener: (change: MembershipChange) => void): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /** False once our entry may have expired: stop leading partitions until it is true again. */
  isSessionValid(): boolean {
    const valid = this.opts.self !== null && !this.closed && performance.now() < this.validUntil;
    // Whoever asks first learns it: the event must not lag behind the answer.
    if (!valid && this.sessionReported) this.checkSession();
    return valid;
  }

  /** Called with false when the session lapses and with true when a heartbeat restores it. */
  onSessionChange(listener: (valid: boolean) => void): () => void {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  /**
   * Controlled shutdown: re-put our registration with shuttingDown=true (kept by every later
   * heartbeat) so the controller moves our leaderships away. Resolves once NATS has it.
   */
  async markShuttingDown(): Promise<void> {
    this.shuttingDown = true;
    for (let i = 0; i < 3; i++) {
      // A heartbeat already in flight may carry the old flag: wait for it, then put ours.
      while (this.heartbeating) await new Promise((r) => setTimeout(r, 10));
      if (await this.heartbeat()) break;
    }
    await this.poll();
  }

  /**
   * Re-read the live set now (tests, or after learning of a change out of band). A poll already
   * in flight may have read the bucket before that change, so wait for it and read again.
   */
  async refresh(): Promise<void> {
    await this.polling?.catch(() => undefined);
    return this.poll();
  }

  /**
   * Removes broker `id`'s registration if it still is incarnation `incarnation` (the failure
   * detector's death verdict; README.md "Failure detection"). Revision-checked: the delete names
   * the revision just read, so a heartbeat or a re-registration by a restarted broker (new
   * incarnation) landing in between makes it fail instead of deleting a live entry. On success
   * the live set is re-read at once, so listeners see the broker leave now, not at the next poll.
   */
  async expel(id: number, incarnation: string): Promise<'expelled' | 'absent' | 'reregistered'> {
    if (this.opts.self?.id === id) throw new Error('a broker never expels itself');
    const e = await this.kv.get(String(id));
    if (!e || e.operation !== 'PUT') return 'absent';
    const parsed = NatsBrokerRegistrationSchema.safeParse(safeDecode(e.value));
    if (!parsed.success || parsed.data.incarnation !== incarnation) return 'reregistered';
    try {
      await this.kv.delete(String(id), { previousSeq: e.revision });
    } catch (err) {
      if (isRevisionMismatch(err)) return 'reregistered';
      throw err;
    }
    await this.refresh();
    return 'expelled';
  }

  /** Stops heartbeats and, unless `keepRegistration`, removes our entry so others see us leave at once. */
  async close(keepRegistration = false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of [this.heartbeatTimer, this.pollTimer, this.sessionTimer]) if (t) clearTimeout(t);
    await this.polling?.catch(() => undefined);
    if (this.opts.self && !keepRegistration) {
      await this.kv.delete(String(this.opts.self.id)).catch((err: unknown) => this.opts.logger?.warn({ err }, 'could not deregister broker'));
    }
    this.setSession(false);
  }

  private async heartbeat(): Promise<boolean> {
    const self = this.opts.self;
    if (!self || this.heartbeating || this.closed) return false;
    this.heartbeating = true;
    const sentAt = performance.now();
    try {
      const reg: NatsBrokerRegistration = { id: self.id, host: self.host, port: self.port, rack: self.rack, incarnation: this.incarnation, ...(this.shuttingDown ? { shuttingDown: true } : {}) };
      await this.kv.put(String(self.id), encodeValue(reg));
      if (this.closed) return false;
      // Margin for timers firing late: we must give up before anyone could see us expire.
      const margin = Math.min(500, this.sessionTimeoutMs / 10);
      this.validUntil = Math.max(this.validUntil, sentAt + this.sessionTimeoutMs - margin);
      this.setSession(true);
      this.checkSession(); // re-arms the session timer for the new deadline
      return true;
    } catch (err) {
      this.opts.logger?.warn({ err, brokerId: self.id }, 'broker heartbeat failed');
      return false;
    } finally {
      this.heartbeating = false;
    }
  }

  private checkSession(): void {
    const left = this.validUntil - performance.now();
    if (left > 0 && !this.closed) {
      // Timers may fire a fraction of a millisecond early; check again when really due.
      if (this.sessionTimer) clearTimeout(this.sessionTimer);
      this.sessionTimer = setTimeout(() => this.checkSession(), Math.ceil(left));
      return;
    }
    if (this.sessionReported) this.opts.logger?.error({ brokerId: this.opts.self?.id }, 'broker session lost: cannot reach NATS within the session timeout');
    this.setSession(false);
  }

  private setSession(valid: boolean): void {
    if (this.sessionReported === valid) return;
    this.sessionReported = valid;
    for (const l of this.sessionListeners) {
      try {
        l(valid);
      } catch (err) {
        this.opts.logger?.error({ err }, 'session listener failed');
      }
    }
  }

  private scheduleHeartbeat(): void {
    if (!this.opts.self || this.closed) return;
    this.heartbeatTimer = setTimeout(() => {
      void this.heartbeat().finally(() => this.scheduleHeartbeat());
    }, this.heartbeatMs);
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollMs);
  }

  private poll(): Promise<void> {
    this.polling ??= this.readLiveSet().finally(() => (this.polling = null));
    return this.polling;
  }

  private async readLiveSet(): Promise<void> {
    let entries;
    try {
      entries = await snapshotBucket(this.kv, '>');
    } catch (err) {
      // Keep the last known set: not reaching NATS says nothing about the other brokers.
      this.opts.logger?.warn({ err }, 'could not read live brokers');
      return;
    }
    if (this.closed) return;
    const next = new Map<number, NatsBrokerRegistration>();
    for (const e of entries) {
      const parsed = NatsBrokerRegistrationSchema.safeParse(safeDecode(e.value));
      if (parsed.success) next.set(parsed.data.id, parsed.data);
      else this.opts.logger?.warn({ key: e.key }, 'ignoring malformed broker registration');
    }
    const joined: NatsBrokerRegistration[] = [];
    const left: NatsBrokerRegistration[] = [];
    const restarted: NatsBrokerRegistration[] = [];
    let changed = false;
    for (const [id, reg] of next) {
      const before = this.live.get(id);
      if (!before) joined.push(reg);
      else if (before.incarnation !== reg.incarnation) restarted.push(reg);
      if (!before || JSON.stringify(before) !== JSON.stringify(reg)) changed = true;
    }
    for (const [id, reg] of this.live) if (!next.has(id)) left.push(reg);
    if (left.length > 0) changed = true;
    this.live = next;
    // Our own entry is gone although we heartbeat: another broker's failure detector expelled
    // us (it saw our listener refuse connections), or it expired while NATS was unreachable.
    // The heartbeat's unconditional put re-creates it; do it now rather than at the next beat.
    const self = this.opts.self;
    if (self && !next.has(self.id) && !this.closed) {
      this.opts.logger?.warn({ brokerId: self.id }, 'our broker registration is missing; re-registering');
      void this.heartbeat();
    }
    if (!changed) return;
    this.emit(this.listeners, undefined);
    if (joined.length + left.length + restarted.length > 0) this.emit(this.membershipListeners, { joined, left, restarted });
  }

  private emit<T>(listeners: Set<(arg: T) => void>, arg: T): void {
    for (const l of listeners) {
      try {
        l(arg);
      } catch (err) {
        this.opts.logger?.error({ err }, 'broker registry listener failed');
      }
    }
  }
}

function safeDecode(bytes: Uint8Array): unknown {
  try {
    return decodeValue(bytes);
  } catch {
    return undefined;
  }
}
