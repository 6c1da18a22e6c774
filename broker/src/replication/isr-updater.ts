/**
 * The leader's ISR writes (Kafka's AlterPartition, here a CAS through PartitionStateWriter):
 * at most one change in flight per partition; while it is, the HW counts the larger of the old
 * and new ISR (LeaderState.maximalIsr). The answer is applied only if the same leadership is
 * still in place; 'fenced' (the leader epoch moved, or our session lapsed) drops the change and
 * waits for the metadata to tell the new role. Never written while the session is invalid.
 */
import type { Logger } from 'pino';
import type { PartitionStateWriter } from '../cluster/partition-state-writer.js';
import type { Partition } from './partition.js';

/** After a failed or fenced write, wait this long before proposing again. */
const RETRY_AFTER_MS = 1000;

export class IsrUpdater {
  private readonly retryAt = new WeakMap<object, number>();

  constructor(
    private readonly writer: PartitionStateWriter | null,
    private readonly lagMaxMs: number,
    private readonly logger: Logger,
    /** Called after an ISR change was applied (the HW may have moved; waiters re-check). */
    private readonly onApplied: (p: Partition) => void,
  ) {}

  /** `fetchedBy`: the follower whose fetch prompted this (it may rejoin); -1 = periodic shrink check. */
  maybeUpdate(p: Partition, sessionValid: boolean, fetchedBy = -1): void {
    const ls = p.leading;
    if (this.writer === null || ls === null || !sessionValid) return;
    const now = Date.now();
    if ((this.retryAt.get(ls) ?? 0) > now) return;
    const proposal = ls.propose(p.highWatermark, now, this.lagMaxMs, fetchedBy);
    if (proposal === null) return;
    ls.beginChange(proposal);
    const was = ls.isr;
    this.writer.alterIsr(p.topic, p.partition, ls.leaderEpoch, proposal).then(
      (res) => {
        if (p.leading !== ls) return; // leadership changed meanwhile: the new state rules
        if (res === 'fenced') {
          ls.endChange(null);
          this.retryAt.set(ls, Date.now() + RETRY_AFTER_MS);
          this.logger.info({ topic: p.topic, partition: p.partition, leaderEpoch: ls.leaderEpoch }, 'ISR change fenced');
          return;
        }
        ls.endChange(res.isr);
        p.applyState(res);
        p.maybeAdvanceHighWatermark();
        // The writer may leave out a broker the controller deems ineligible (KIP-841): then nothing changed.
        if (res.isr.length !== was.length || res.isr.some((b) => !was.includes(b))) {
          this.logger.info({ topic: p.topic, partition: p.partition, leaderEpoch: ls.leaderEpoch, from: was, to: res.isr }, 'ISR updated');
        } else this.retryAt.set(ls, Date.now() + RETRY_AFTER_MS);
        this.onApplied(p);
      },
      (err: unknown) => {
        if (p.leading !== ls) return;
        ls.endChange(null);
        this.retryAt.set(ls, Date.now() + RETRY_AFTER_MS);
        this.logger.warn({ topic: p.topic, partition: p.partition, err: (err as Error).message }, 'ISR change failed; will retry');
      },
    );
  }
}
