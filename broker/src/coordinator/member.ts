/**
 * One member of a classic group (Kafka's MemberMetadata): its protocols, its assignment, and
 * the parked JoinGroup / SyncGroup responses the coordinator completes later.
 */
import type { GroupProtocol, JoinGroupResult, SyncGroupResult, TimerHandle } from './types.js';

const EMPTY = Buffer.alloc(0);

export type JoinCallback = (result: JoinGroupResult) => void;
export type SyncCallback = (result: SyncGroupResult) => void;

export class Member {
  assignment: Buffer = EMPTY;
  /** A parked JoinGroup: the member is "awaiting join" while this is set. */
  awaitingJoin: JoinCallback | null = null;
  /** A parked SyncGroup. */
  awaitingSync: SyncCallback | null = null;
  /** Joined during the current rebalance and has not received a JoinGroup response yet. */
  isNew = false;
  sessionTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly GroupProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /**
   * Kafka's hasSatisfiedHeartbeat, asked when the session timer fires (every heartbeat
   * re-arms the timer, so none arrived in time): members parked in a rebalance count as
   * alive, except new members whose parked JoinGroup is what timed out.
   */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.awaitingJoin !== null || this.awaitingSync !== null;
  }

  metadata(protocolName: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocolName);
    if (p === undefined) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return p.metadata;
  }

  supports(protocolName: string): boolean {
    return this.protocols.some((p) => p.name === protocolName);
  }

  /** Same protocols, same order, same metadata bytes (Kafka's MemberMetadata.matches). */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.protocols[i];
      return mine !== undefined && mine.name === p.name && mine.metadata.equals(p.metadata);
    });
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (choice === undefined) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }

  cancelSessionTimer(): void {
    this.sessionTimer?.cancel();
    this.sessionTimer = null;
  }
}
