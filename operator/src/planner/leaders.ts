/**
 * Leader balance through preferred leaders (replicas[0]): only the order of replica lists
 * changes, never the sets, so this phase copies no data.
 *
 * Exact for the band it aims at: it shifts leadership along shortest augmenting paths
 * (x leads a partition that has a replica on y: x -> y) from a broker above the band to one
 * at least two leaders lighter, or into a broker below the band from one at least two
 * heavier. When no such path exists the leader counts are as even as the replica sets allow
 * (the usual flow argument), so the planner reports the goal unmet rather than moving data.
 */
import { countBand, type WorkPartition, type WorkState } from './state.js';

function leaderCounts(s: WorkState): Map<number, number> {
  const m = new Map<number, number>(s.kept.map((b) => [b, 0]));
  for (const p of s.partitions) {
    const l = p.replicas[0];
    if (l !== undefined && m.has(l)) m.set(l, (m.get(l) ?? 0) + 1);
  }
  return m;
}

interface Step {
  readonly partition: WorkPartition;
  readonly to: number;
}

/**
 * Shortest path from `start` along leadership edges (forward: start gives leadership away;
 * backward: start receives it) to a broker accepted by `goal`, preferring the best `rank`
 * among those at the first depth where any is found. Returns the steps in application order.
 */
function search(s: WorkState, start: number, forward: boolean, goal: (b: number) => boolean, rank: (b: number) => number): Step[] | null {
  const via = new Map<number, Step & { readonly prev: number }>();
  const seen = new Set<number>([start]);
  let frontier = [start];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const x of frontier) {
      for (const p of s.partitions) {
        const leader = p.replicas[0];
        if (forward ? leader !== x : !p.replicas.includes(x) || leader === x) continue;
        const others = forward ? p.replicas.slice(1) : [leader ?? -1];
        for (const y of others) {
          if (seen.has(y) || !s.keptSet.has(y)) continue;
          seen.add(y);
          // Forward: p's leadership goes x -> y. Backward: it goes y -> x.
          via.set(y, forward ? { partition: p, to: y, prev: x } : { partition: p, to: x, prev: x });
          next.push(y);
        }
      }
    }
    const hits = next.filter(goal).sort((a, b) => rank(a) - rank(b) || a - b);
    const end = hits[0];
    if (end !== undefined) {
      const steps: Step[] = [];
      for (let y = end; y !== start; ) {
        const v = via.get(y);
        if (v === undefined) throw new Error('planner: broken leader path');
        steps.push({ partition: v.partition, to: v.to });
        y = v.prev;
      }
      // Forward paths are collected end-first; apply from the start so each step is valid.
      return forward ? steps.reverse() : steps;
    }
    frontier = next;
  }
  return null;
}

function makeLeader(p: WorkPartition, b: number): void {
  const j = p.replicas.indexOf(b);
  const first = p.replicas[0];
  if (j <= 0 || first === undefined) return;
  p.replicas[j] = first;
  p.replicas[0] = b;
}

/** Returns whether every kept broker ended inside the leader band. */
export function balanceLeaders(s: WorkState): boolean {
  const { lo, hi } = countBand(s.partitions.length, s.kept.length, s.thresholds.leaderCount);
  // Each shift moves one leader between brokers >= 2 apart, so Σ leaders² falls: bounded.
  for (;;) {
    const L = leaderCounts(s);
    const n = (b: number): number => L.get(b) ?? 0;
    const over = s.kept.filter((b) => n(b) > hi).sort((a, b) => n(b) - n(a) || a - b);
    const under = s.kept.filter((b) => n(b) < lo).sort((a, b) => n(a) - n(b) || a - b);
    if (over.length === 0 && under.length === 0) return true;
    let path: Step[] | null = null;
    for (const x of over) {
      path = search(s, x, true, (y) => n(y) <= n(x) - 2 && n(y) < hi, n);
      if (path) break;
    }
    if (!path) {
      for (const y of under) {
        path = search(s, y, false, (x) => n(x) >= n(y) + 2 && n(x) > lo, (x) => -n(x));
        if (path) break;
      }
    }
    if (!path) return false;
    for (const st of path) makeLeader(st.partition, st.to);
  }
}
