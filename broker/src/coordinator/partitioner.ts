/**
 * Which __consumer_offsets partition (and so which coordinator) owns a group. Must match
 * Kafka bit for bit, so that clients, tools and mixed deployments agree on the coordinator:
 * Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions.
 */

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

/** java.lang.String#hashCode: s[0]*31^(n-1) + ... over UTF-16 code units, int32 overflow. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * org.apache.kafka.common.utils.Utils.abs: Integer.MIN_VALUE maps to 0 (Math.abs would leave
 * it negative in Java), every other value to its absolute value.
 */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionFor(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`offsets topic partition count must be a positive integer, got ${numPartitions}`);
  }
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
