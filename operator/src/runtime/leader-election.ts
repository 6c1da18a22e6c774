/**
 * Leader election between operator replicas with a coordination.k8s.io/v1 Lease, as
 * client-go's leaderelection does: the holder renews `renewTime` every retry period; another
 * replica takes the lease only once `renewTime + leaseDurationSeconds` has passed; every
 * write is a replace with the read resourceVersion, so two candidates cannot both win (the
 * loser gets 409). A leader that cannot renew within `renewDeadlineMs` steps down.
 */
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { httpStatus, kubeErrorMessage } from './kube.js';

export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** What to do with a lease as read (null = none). Pure. */
export function leaseDecision(
  lease: { holder: string | null; renewTimeMs: number | null; durationMs: number } | null,
  identity: string,
  now: number,
): 'create' | 'renew' | 'take' | 'wait' {
  if (lease === null) return 'create';
  if (lease.holder === identity) return 'renew';
  if (lease.holder === null || lease.holder === '' || lease.renewTimeMs === null) return 'take';
  return now > lease.renewTimeMs + lease.durationMs ? 'take' : 'wait';
}

function toMs(t: Date | string | undefined): number | null {
  if (t === undefined) return null;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? null : ms;
}

export class LeaderElector {
  private readonly api: CoordinationV1Api;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leading = false;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly logger: Logger,
    private readonly callbacks: { onStartedLeading(): void; onStoppedLeading(): void },
  ) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = '';
        await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
      }
    } catch (err) {
      this.logger.warn({ error: kubeErrorMessage(err) }, 'could not release the leader lease');
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) {
        this.lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.logger.info({ lease: this.opts.name, identity: this.opts.identity }, 'became leader');
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading) {
        this.stepDown('lease taken by another replica');
      }
    } catch (err) {
      this.logger.warn({ error: kubeErrorMessage(err) }, 'leader election attempt failed');
      if (this.leading && Date.now() - this.lastRenew > this.renewDeadlineMs) this.stepDown('could not renew the lease in time');
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.retryPeriodMs);
    this.timer.unref();
  }

  private stepDown(reason: string): void {
    this.leading = false;
    this.logger.warn({ reason }, 'lost leadership');
    this.callbacks.onStoppedLeading();
  }

  private async read(): Promise<V1Lease | null> {
    try {
      return await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
    } catch (err) {
      if (httpStatus(err) === 404) return null;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.read();
    const decision = leaseDecision(
      lease === null
        ? null
        : {
            holder: lease.spec?.holderIdentity ?? null,
            renewTimeMs: toMs(lease.spec?.renewTime),
            durationMs: (lease.spec?.leaseDurationSeconds ?? 15) * 1000,
          },
      this.opts.identity,
      now.getTime(),
    );
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    try {
      switch (decision) {
        case 'wait':
          return false;
        case 'create':
          await this.api.createNamespacedLease({
            namespace: this.opts.namespace,
            body: {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: { name: this.opts.name, namespace: this.opts.namespace },
              spec: { holderIdentity: this.opts.identity, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
            },
          });
          return true;
        case 'renew':
        case 'take': {
          if (lease === null) return false;
          const spec = lease.spec ?? {};
          const taking = decision === 'take';
          lease.spec = {
            ...spec,
            holderIdentity: this.opts.identity,
            leaseDurationSeconds: durationSeconds,
            renewTime: now,
            ...(taking && { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
          };
          await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
          return true;
        }
      }
    } catch (err) {
      // 409: someone else wrote the lease between our read and write; they won this round.
      if (httpStatus(err) === 409) return false;
      throw err;
    }
  }
}
