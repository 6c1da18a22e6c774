/**
 * The ClusterMembership the data plane obeys in cluster mode (docs/cluster-contract.md,
 * Liveness): valid only while the registry session is valid AND, after a lapse, the metadata
 * image has caught up with the store again.
 *
 * Why both: while our session was lapsed the controller may have moved our leaderships (a new
 * leader epoch) and the image learns that only when the watch delivers it. A heartbeat that
 * succeeds before that delivery would otherwise let us accept produce (and write ISRs) as a
 * leader the cluster has already deposed. So on recovery we read the store's current revision
 * (everything written during the gap is at or below it) and stay "not leading" until the
 * watch feeding the image has delivered up to that revision.
 */
import type { Logger } from 'pino';
import type { ClusterMembership } from './types.js';

export interface SessionGateOptions {
  /** The registry session (NatsBrokerRegistry). */
  readonly session: ClusterMembership;
  /** The store's newest revision now (e.g. the KV stream's last sequence). */
  readonly storeRevision: () => Promise<number>;
  /** Up to which store revision the image has applied every change (synchronous, local). */
  readonly appliedRevision: () => number;
  readonly logger?: Logger;
  /** How often to re-check the image while catching up (ms). */
  readonly pollMs?: number;
}

/** Pure decision: may we lead again, given what we know? */
export function imageCurrent(lapsed: boolean, target: number | null, applied: number): boolean {
  if (!lapsed) return true;
  return target !== null && applied >= target;
}

export class SessionGate implements ClusterMembership {
  /** True from a session loss until the image has caught up after the recovery. */
  private lapsed = false;
  /** The store revision the image must reach (read after the session came back). */
  private target: number | null = null;
  /** Bumped on every loss, so a catch-up started before a later loss never clears it. */
  private generation = 0;
  private reported: boolean;
  private readonly listeners = new Set<(valid: boolean) => void>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly opts: SessionGateOptions) {
    this.reported = opts.session.isSessionValid();
    this.unsubscribe = opts.session.onSessionChange((valid) => (valid ? this.recovered() : this.lost()));
  }

  isSessionValid(): boolean {
    const session = this.opts.session.isSessionValid();
    // Asking may be the first to notice a lapse (the registry's timer can fire late).
    if (!session) {
      if (!this.lapsed) this.lost();
      return false;
    }
    return imageCurrent(this.lapsed, this.target, this.opts.appliedRevision());
  }

  onSessionChange(listener: (valid: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.generation++;
    this.unsubscribe();
  }

  private lost(): void {
    this.lapsed = true;
    this.target = null;
    this.generation++;
    this.report(false);
  }

  private recovered(): void {
    if (!this.lapsed) {
      this.report(true);
      return;
    }
    const gen = ++this.generation;
    void this.catchUp(gen);
  }

  /** Read the store's revision, then wait (while still valid) until the image has applied it. */
  private async catchUp(gen: number): Promise<void> {
    const pollMs = this.opts.pollMs ?? 50;
    let delay = pollMs;
    while (!this.closed && gen === this.generation && this.target === null) {
      try {
        const rev = await this.opts.storeRevision();
        if (gen !== this.generation) return;
        this.target = rev;
      } catch (err) {
        // NATS may still be flaky right after the gap: retry, bounded by the next loss or close.
        this.opts.logger?.warn({ err: (err as Error).message }, 'could not read the metadata revision after a session lapse; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
    while (!this.closed && gen === this.generation) {
      const target = this.target;
      if (target === null) return;
      if (this.opts.appliedRevision() >= target) {
        this.lapsed = false;
        this.opts.logger?.info({ revision: target }, 'metadata image caught up after the session lapse; leading again');
        if (this.opts.session.isSessionValid()) this.report(true);
        return;
      }
      await sleep(pollMs);
    }
  }

  private report(valid: boolean): void {
    if (this.reported === valid) return;
    this.reported = valid;
    for (const l of this.listeners) {
      try {
        l(valid);
      } catch (err) {
        this.opts.logger?.error({ err }, 'session listener failed');
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
