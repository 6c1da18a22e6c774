/**
 * High watermark as a pure function of replica log end offsets, so the replication issue
 * reuses it unchanged: HW = the smallest LEO among the ISR (the leader included), and a
 * leader's HW never moves backwards (invariant 2).
 */

/**
 * @param current   the leader's current HW (-1 or 0 before the first computation)
 * @param leaderLeo the leader's own log end offset
 * @param isrFollowerLeos LEOs of the other ISR members (empty with an ISR of one)
 */
export function nextHighWatermark(current: number, leaderLeo: number, isrFollowerLeos: readonly number[]): number {
  let hw = leaderLeo;
  for (const leo of isrFollowerLeos) if (leo < hw) hw = leo;
  return hw > current ? hw : current;
}

/** Whether an acks=all produce whose last offset is `lastOffset` is fully replicated. */
export function isReplicated(highWatermark: number, lastOffset: number): boolean {
  return highWatermark > lastOffset;
}
