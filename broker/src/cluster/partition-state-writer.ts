/**
 * The partition leader's only write to cluster metadata: ISR shrink/expand (Kafka's
 * AlterPartition), see docs/cluster-contract.md. Works over any MetadataStore (local or NATS):
 * read `partitions.<topic>.<p>`, decide with the pure decideIsrChange, CAS at the revision
 * read; on a conflict re-read and re-decide. A moved leader or leaderEpoch means the caller
 * was deposed: it gets 'fenced' and must stop acting as leader for that epoch.
 *
 * Like KIP-841, an expansion never adds a broker the controller considers ineligible (not
 * live, or shutting down): otherwise a leader would re-add a replica the controller just
 * removed during controlled shutdown, and the two would flap.
 */
import type { Logger } from 'pino';
import { Keys, PartitionStateSchema } from './keys.js';
import { RevisionMismatchError, type MetadataStore, type PartitionState } from './types.js';

export interface PartitionStateWriter {
  /**
   * Replace the ISR of a partition this broker leads at `expectedLeaderEpoch`. Resolves with the
   * state now stored (unchanged if the ISR already equals newIsr), or 'fenced' if the stored
   * leader is not this broker or its leaderEpoch differs. Rejects if the partition does not
   * exist or the store stays unreachable.
   */
  alterIsr(topic: string, partition: number, expectedLeaderEpoch: number, newIsr: readonly number[]): Promise<PartitionState | 'fenced'>;
}

export type IsrDecision = { readonly kind: 'fenced' } | { readonly kind: 'noop'; readonly state: PartitionState } | { readonly kind: 'write'; readonly state: PartitionState };

/**
 * Pure: what an AlterIsr request from `leaderId` at `expectedLeaderEpoch` does to `current`.
 * The new ISR is restricted to current replicas (a reassignment may have removed some),
 * always contains the leader, and adds only members that are already in the ISR or eligible.
 */
export function decideIsrChange(
  current: PartitionState,
  leaderId: number,
  expectedLeaderEpoch: number,
  requested: readonly number[],
  eligible: (brokerId: number) => boolean = () => true,
): IsrDecision {
  if (current.leader !== leaderId || current.leaderEpoch !== expectedLeaderEpoch) return { kind: 'fenced' };
  const replicas = new Set(current.replicas);
  const wasIn = new Set(current.isr);
  const next: number[] = [leaderId];
  for (const b of requested) {
    if (next.includes(b) || !replicas.has(b)) continue;
    if (!wasIn.has(b) && !eligible(b)) continue;
    next.push(b);
  }
  next.sort((a, b) => a - b);
  const same = next.length === current.isr.length && next.every((b) => wasIn.has(b));
  if (same) return { kind: 'noop', state: current };
  const state: PartitionState = { ...current, isr: next, partitionEpoch: current.partitionEpoch + 1 };
  return { kind: 'write', state };
}

export interface StorePartitionStateWriterOptions {
  readonly store: MetadataStore;
  /** The leader this writer speaks for (this broker). */
  readonly brokerId: number;
  /** May a broker join an ISR now (live and not shutting down)? Default: yes. */
  readonly eligible?: (brokerId: number) => boolean;
  /** Refuse to write while false (e.g. the registry session lapsed): answers 'fenced'. */
  readonly canWrite?: () => boolean;
  /** CAS attempts before giving up (each conflict means someone else wrote). */
  readonly maxAttempts?: number;
  readonly logger?: Logger;
}

export class StorePartitionStateWriter implements PartitionStateWriter {
  constructor(private readonly opts: StorePartitionStateWriterOptions) {}

  async alterIsr(topic: string, partition: number, expectedLeaderEpoch: number, newIsr: readonly number[]): Promise<PartitionState | 'fenced'> {
    const key = Keys.partition(topic, partition);
    const max = this.opts.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      if (this.opts.canWrite && !this.opts.canWrite()) return 'fenced';
      const entry = await this.opts.store.get(key);
      if (!entry) throw new Error(`partition ${topic}-${partition} does not exist`);
      const parsed = PartitionStateSchema.safeParse(entry.value);
      if (!parsed.success) throw new Error(`malformed metadata at ${key}`);
      const decision = decideIsrChange(parsed.data, this.opts.brokerId, expectedLeaderEpoch, newIsr, this.opts.eligible);
      if (decision.kind === 'fenced') return 'fenced';
      if (decision.kind === 'noop') return decision.state;
      try {
        await this.opts.store.update(key, decision.state, entry.revision);
        this.opts.logger?.info({ topic, partition, leaderEpoch: expectedLeaderEpoch, isr: decision.state.isr, was: parsed.data.isr }, 'ISR changed');
        return decision.state;
      } catch (err) {
        // Someone (the controller, usually) wrote in between: re-read and re-decide.
        if (!(err instanceof RevisionMismatchError) || attempt >= max) throw err;
      }
    }
  }
}
