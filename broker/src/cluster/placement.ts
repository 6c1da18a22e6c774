/**
 * Replica placement, as Kafka's AdminUtils.assignReplicasToBrokers: round-robin leaders
 * from a random start broker, followers at a shifting offset so partitions do not all share
 * the same follower pairs, and, when brokers have racks, a rack-alternating broker order
 * with followers preferring racks the partition does not use yet. Pure: randomness is
 * injected (startIndex / replicaShift / random) so tests can pin it.
 */
import { ControllerError } from './types.js';

export interface PlacementBroker {
  readonly id: number;
  readonly rack: string | null;
}

export interface PlacementOptions {
  /** Index (into the broker order) of partition 0's leader; random when omitted. */
  readonly startIndex?: number;
  /** Initial follower shift; random when omitted. */
  readonly replicaShift?: number;
  /** First partition id to place (CreatePartitions places from the current count). */
  readonly startPartition?: number;
  readonly random?: () => number;
}

function randomInt(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** Followers of a partition sit at offsets 1..n-1 from its leader; the shift rotates them. */
function replicaIndex(first: number, shift: number, j: number, n: number): number {
  return (first + 1 + ((shift + j) % (n - 1))) % n;
}

/** Brokers ordered rack by rack in turn (r1b1, r2b1, r3b1, r1b2, ...), Kafka's rack-alternated list. */
export function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((a, c) => a.id - c.id)) {
    const key = b.rack ?? '';
    const list = byRack.get(key) ?? [];
    list.push(b);
    byRack.set(key, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const r of racks) {
      const b = byRack.get(r)?.[i];
      if (b) out.push(b);
    }
  }
  return out;
}

/**
 * Replica lists for partitions startPartition .. startPartition+numPartitions-1, indexed from 0.
 * Throws ControllerError INVALID_REPLICATION_FACTOR / INVALID_PARTITIONS.
 */
export function placeReplicas(
  brokers: readonly PlacementBroker[],
  numPartitions: number,
  replicationFactor: number,
  opts: PlacementOptions = {},
): number[][] {
  if (numPartitions <= 0) throw new ControllerError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new ControllerError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new ControllerError(
      'INVALID_REPLICATION_FACTOR',
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
  const random = opts.random ?? Math.random;
  const n = brokers.length;
  const start = opts.startIndex ?? randomInt(n, random);
  let shift = opts.replicaShift ?? randomInt(n, random);
  const startPartition = opts.startPartition ?? 0;
  const rackAware = brokers.some((b) => b.rack !== null);
  const order = rackAware ? rackAlternated(brokers) : [...brokers].sort((a, b) => a.id - b.id);
  const numRacks = new Set(order.map((b) => b.rack ?? '')).size;
  const out: number[][] = [];

  for (let p = startPartition; p < startPartition + numPartitions; p++) {
    // A new lap over the brokers moves followers one step, so pairs do not repeat.
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + (start % n)) % n;
    const leader = order[first];
    if (!leader) throw new Error('placement: broker index out of range');
    const replicas = [leader.id];
    if (!rackAware) {
      for (let j = 0; j < replicationFactor - 1; j++) {
        const b = order[replicaIndex(first, shift, j, n)];
        if (b) replicas.push(b.id);
      }
    } else {
      const racksUsed = new Set([leader.rack ?? '']);
      const brokersUsed = new Set([leader.id]);
      let k = 0;
      for (let j = 0; j < replicationFactor - 1; j++) {
        // Walk the follower offsets; prefer an unused rack until every rack has a replica.
        for (;;) {
          const b = order[replicaIndex(first, shift, k, n)];
          k++;
          if (!b) continue;
          const rack = b.rack ?? '';
          if ((!racksUsed.has(rack) || racksUsed.size === numRacks) && (!brokersUsed.has(b.id) || brokersUsed.size === n)) {
            replicas.push(b.id);
            racksUsed.add(rack);
            brokersUsed.add(b.id);
            break;
          }
        }
      }
    }
    out.push(replicas);
  }
  return out;
}
