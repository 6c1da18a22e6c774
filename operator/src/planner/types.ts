/**
 * Planner input and output. Everything is plain data so a plan can be stored in the
 * KafkaCluster status (or a ConfigMap) and resumed by a later operator process.
 */

export interface PlannerBroker {
  readonly id: number;
  /** broker.rack; null when the broker has none (treated as the rack "" when others have one). */
  readonly rack: string | null;
}

export interface PlannerPartition {
  readonly partition: number;
  /** Replica list in preference order: replicas[0] is the preferred leader. */
  readonly replicas: readonly number[];
  /** Current leader (-1 when none); may differ from replicas[0] after a failover. */
  readonly leader: number;
  /** Size of one replica's log in bytes (what moving one replica copies). */
  readonly sizeBytes: number;
}

export interface PlannerTopic {
  readonly name: string;
  /** min.insync.replicas of the topic (1 when unset). */
  readonly minInsyncReplicas: number;
  readonly partitions: readonly PlannerPartition[];
}

export interface Thresholds {
  /**
   * Allowed distance (in replicas) from the average replica count per broker: every kept
   * broker must hold between floor(avg) - t and ceil(avg) + t replicas. 0 means perfectly even.
   */
  readonly replicaCount: number;
  /** The same for preferred leaders (partitions whose replicas[0] is the broker). */
  readonly leaderCount: number;
  /**
   * Allowed relative distance from the average bytes per broker (0.1 = within ±10%). Best
   * effort: bytes balance is a bin-packing problem, see README.md.
   */
  readonly bytesRatio: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { replicaCount: 1, leaderCount: 1, bytesRatio: 0.1 };

export interface PlannerInput {
  /** Every broker known now, including new (empty) ones and the ones to be removed. */
  readonly brokers: readonly PlannerBroker[];
  /** Brokers to drain (scale down): after the plan they hold no replica and lead nothing. */
  readonly removeBrokers: readonly number[];
  readonly topics: readonly PlannerTopic[];
  readonly thresholds?: Thresholds;
}

/**
 * One reassignment. A partition that must replace more replicas than its min ISR allows in
 * one go gets several moves with step 1..steps; step n+1 must only start once step n is done.
 */
export interface PlannedMove {
  readonly topic: string;
  readonly partition: number;
  readonly from: readonly number[];
  readonly to: readonly number[];
  /** Brokers that receive a copy in this step and brokers that lose theirs. */
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  /** Bytes copied by this step: sizeBytes × adding.length. */
  readonly bytes: number;
  readonly step: number;
  readonly steps: number;
}

/**
 * A partition whose preferred leader after the plan is not its current leader. reorderOnly:
 * the replica set is unchanged and only its order is, so the executor sends a reassignment
 * with the new order (no data copied) and then a preferred-leader election.
 */
export interface LeaderChange {
  readonly topic: string;
  readonly partition: number;
  readonly fromLeader: number;
  readonly toLeader: number;
  readonly replicas: readonly number[];
  readonly reorderOnly: boolean;
}

export interface BrokerLoad {
  readonly broker: number;
  readonly replicas: number;
  readonly leaders: number;
  readonly bytes: number;
}

export interface BalanceSummary {
  /** One row per broker counted (before: every broker; after: the kept brokers). */
  readonly brokers: readonly BrokerLoad[];
  readonly replicas: { readonly min: number; readonly max: number; readonly avg: number };
  readonly leaders: { readonly min: number; readonly max: number; readonly avg: number };
  readonly bytes: { readonly min: number; readonly max: number; readonly avg: number };
  readonly replicasWithinThreshold: boolean;
  readonly leadersWithinThreshold: boolean;
  readonly bytesWithinThreshold: boolean;
  /** Replicas still on brokers being removed (or on unknown brokers). */
  readonly replicasOnRemovedBrokers: number;
  /** Partitions breaking the distinct-broker or rack goal. */
  readonly hardGoalViolations: number;
}

export interface Plan {
  readonly moves: readonly PlannedMove[];
  readonly leaderChanges: readonly LeaderChange[];
  /** Replicas copied in total (Σ adding.length over moves), and bytes copied in total. */
  readonly replicasMoved: number;
  readonly bytesMoved: number;
  readonly before: BalanceSummary;
  readonly after: BalanceSummary;
  /** The final assignment, topic -> partition -> replicas (preference order). */
  readonly target: ReadonlyMap<string, ReadonlyMap<number, readonly number[]>>;
  /** Goals the planner could not reach (e.g. replica balance blocked by rack constraints). */
  readonly unmetGoals: readonly string[];
}

export type PlanRefusalCode = 'NotEnoughBrokers' | 'InvalidInput';

export interface PlanRefusal {
  readonly code: PlanRefusalCode;
  readonly message: string;
  readonly topics: readonly string[];
}

export type PlanResult = { readonly ok: true; readonly plan: Plan } | { readonly ok: false; readonly refusal: PlanRefusal };
