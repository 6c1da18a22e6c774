/**
 * The replica goals, in priority order: hard goals (fixHardGoals), replica counts
 * (balanceReplicas), then bytes (balanceBytes). Each is greedy over WorkState, scanning
 * brokers and partitions in a fixed order so equal inputs give equal plans.
 */
import { cheaper, type WorkPartition, type WorkState } from './state.js';

/**
 * Replace every replica that is off-cluster (removed or unknown broker), duplicated, or over
 * its rack's cap. The newcomer is the kept broker with the fewest replicas that the hard
 * goals allow, cheapest by WorkState.cost on ties. Returns the partitions it could not fix
 * (only possible when input validation was skipped: validate() refuses those inputs).
 */
export function fixHardGoals(s: WorkState): WorkPartition[] {
  const stuck: WorkPartition[] = [];
  for (const p of s.partitions) {
    // Each pass fixes one replica; a partition has at most RF of them to fix.
    for (let guard = 0; guard <= p.replicas.length; guard++) {
      const i = s.violation(p);
      if (i < 0) break;
      const from = p.replicas[i] ?? -1;
      let best: number | null = null;
      let bestKey: readonly [number, number, number] | null = null;
      for (const to of s.kept) {
        if (!s.canPlace(p, from, to)) continue;
        const c = s.cost(p, from, to);
        const key = [s.cnt(to), c[0], c[1]] as const;
        if (bestKey === null || key[0] < bestKey[0] || (key[0] === bestKey[0] && cheaper([key[1], key[2]], [bestKey[1], bestKey[2]]))) {
          best = to;
          bestKey = key;
        }
      }
      if (best === null) {
        stuck.push(p);
        break;
      }
      s.replaceAt(p, i, best);
    }
  }
  return stuck;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * Move replicas until every kept broker is inside the replica band [lo, hi]. Each step moves
 * one replica off the fullest source that can give one, to a destination, choosing by
 * [extra moves, destinations the partition fits, destination count, bytes cost]: sources are brokers above hi (or, when none is but someone is below lo,
 * brokers that can give one and stay >= lo); destinations are brokers below lo (or, when
 * none is, brokers that stay <= hi). Every step has count(src) > count(dst) + 1, so Σcount²
 * falls strictly and the loop ends. Returns false when it stopped outside the band (every
 * remaining pair is blocked by the rack/distinct-broker goals).
 */
export function balanceReplicas(s: WorkState): boolean {
  const { lo, hi } = s.replicaBand();
  const byCountDesc = (a: number, b: number): number => s.cnt(b) - s.cnt(a) || a - b;
  for (;;) {
    const over = s.kept.filter((b) => s.cnt(b) > hi);
    const under = s.kept.filter((b) => s.cnt(b) < lo);
    if (over.length === 0 && under.length === 0) return true;
    const sources = (over.length > 0 ? over : s.kept.filter((b) => s.cnt(b) - 1 >= lo)).sort(byCountDesc);
    const dests = (under.length > 0 ? under : s.kept.filter((b) => s.cnt(b) + 1 <= hi)).sort((a, b) => byCountDesc(b, a));
    let moved = false;
    for (const from of sources) {
      // Most-constrained first: a partition that fits few of the destinations moves before one
      // that fits many, so flexible partitions stay available for the brokers that need them
      // (racks can leave some destinations reachable only through a few partitions).
      const fits = (p: WorkPartition): number => dests.filter((d) => s.cnt(from) > s.cnt(d) + 1 && s.canPlace(p, from, d)).length;
      let best: { p: WorkPartition; to: number; key: readonly [number, number, number, number] } | null = null;
      for (const to of dests) {
        if (s.cnt(from) <= s.cnt(to) + 1) continue;
        for (const p of s.partitions) {
          if (!p.replicas.includes(from) || !s.canPlace(p, from, to)) continue;
          const c = s.cost(p, from, to);
          const key = [c[0], fits(p), s.cnt(to), c[1]] as const;
          if (best === null || lexLess(key, best.key)) best = { p, to, key };
        }
      }
      if (best !== null) {
        s.replace(best.p, from, best.to);
        moved = true;
        break;
      }
    }
    if (!moved && !chainMove(s, lo, hi)) return false;
  }
}

/**
 * Fallback when no single move is rack-legal: a chain from0 -> b1 -> ... -> bk, each link
 * moving one replica of a different partition, found by breadth-first search over "some
 * partition on x may go to y", one search per usable source. Only the ends change count
 * (every broker inside the chain gives one and takes one), so the chain is allowed exactly
 * when a single move between its ends would be: count(src) > count(dst) + 1, src above the
 * band or dst below it, neither end leaving the band. Σcount² still falls strictly. Shortest
 * chains first, then the fewest extra replica copies; scans are in broker/partition order
 * (deterministic). Returns false when no chain exists.
 */
function chainMove(s: WorkState, lo: number, hi: number): boolean {
  // The ends obey the single-move rules: the source stays >= lo (or is above hi), the end
  // stays <= hi (or is below lo), one of them is outside the band, and count(src) > count(dst) + 1.
  const canGive = (b: number): boolean => s.cnt(b) > hi || s.cnt(b) - 1 >= lo;
  const canTake = (b: number): boolean => s.cnt(b) < lo || s.cnt(b) + 1 <= hi;
  const ends = (src: number, dst: number): boolean =>
    src !== dst && canTake(dst) && s.cnt(src) > s.cnt(dst) + 1 && (s.cnt(src) > hi || s.cnt(dst) < lo);
  const sources = s.kept.filter(canGive);
  interface Link {
    readonly prev: Link | null;
    readonly at: number;
    readonly p: WorkPartition | null;
    readonly extra: number;
    readonly len: number;
    readonly root: number;
  }
  const used = (l: Link | null, p: WorkPartition): boolean => {
    for (let x = l; x !== null; x = x.prev) if (x.p === p) return true;
    return false;
  };
  // One breadth-first search per source (fullest first), so a broker in the band can be a
  // source for one chain and a pass-through for another.
  let found: Link | null = null;
  for (const root of [...sources].sort((x, y) => s.cnt(y) - s.cnt(x) || x - y)) {
    const start: Link = { prev: null, at: root, p: null, extra: 0, len: 0, root };
    const seen = new Set<number>([root]);
    let layer: Link[] = [start];
    while (layer.length > 0 && (found === null || (layer[0]?.len ?? 0) < found.len)) {
      const next = new Map<number, Link>();
      for (const l of layer) {
        for (const to of s.kept) {
          if (seen.has(to)) continue;
          for (const p of s.partitions) {
            if (!p.replicas.includes(l.at) || used(l, p) || !s.canPlace(p, l.at, to)) continue;
            const extra = l.extra + s.cost(p, l.at, to)[0];
            const cur = next.get(to);
            if (cur === undefined || extra < cur.extra) next.set(to, { prev: l, at: to, p, extra, len: l.len + 1, root });
          }
        }
      }
      layer = [...next.values()].sort((x, y) => x.at - y.at);
      for (const l of layer) seen.add(l.at);
      // Shortest chain first, then the fewest extra copies, then the emptiest end; ties keep
      // the earlier (fuller, lower-id) source.
      for (const l of layer) {
        if (!ends(root, l.at)) continue;
        if (found === null || l.len < found.len || (l.len === found.len && (l.extra < found.extra || (l.extra === found.extra && s.cnt(l.at) < s.cnt(found.at))))) found = l;
      }
    }
  }
  if (found === null) return false;
  const links: Link[] = [];
  for (let x: Link | null = found; x !== null && x.p !== null; x = x.prev) links.unshift(x);
  // Apply in order. The links move different partitions, but one partition may hold brokers of
  // several links, so each is rechecked against the hard goals (and all undone if one fails).
  const done: { p: WorkPartition; from: number; to: number }[] = [];
  for (const l of links) {
    const from = l.prev?.at ?? -1;
    const p = l.p as WorkPartition;
    if (!p.replicas.includes(from) || !s.canPlace(p, from, l.at)) {
      for (const d of done.reverse()) s.replace(d.p, d.to, d.from);
      return false;
    }
    s.replace(p, from, l.at);
    done.push({ p, from, to: l.at });
  }
  return true;
}

export function bytesWithin(s: WorkState): boolean {
  const avg = s.avgBytes();
  const tol = s.thresholds.bytesRatio * avg;
  return s.kept.every((b) => Math.abs(s.byt(b) - avg) <= tol);
}

/**
 * Best effort toward the bytes band avg·(1 ± bytesRatio), never leaving the replica band:
 * move one replica, or swap two (counts unchanged), between the heaviest broker and a
 * lighter one, choosing the option that lowers Σ bytes² most per replica moved. Every step
 * lowers Σ bytes² strictly, so it ends; it stops when no single move or swap helps.
 */
export function balanceBytes(s: WorkState): void {
  const { lo, hi } = s.replicaBand();
  const limit = 4 * s.partitions.length + 16;
  for (let iter = 0; iter < limit && !bytesWithin(s); iter++) {
    const heavy = [...s.kept].sort((a, b) => s.byt(b) - s.byt(a) || a - b)[0];
    if (heavy === undefined) return;
    // A holder object: TS does not track assignments made inside the closure.
    const best: { gain: number; apply: (() => void) | null } = { gain: 0, apply: null };
    const consider = (gain: number, apply: () => void): void => {
      if (gain > best.gain) {
        best.gain = gain;
        best.apply = apply;
      }
    };
    for (const light of s.kept) {
      const gap = s.byt(heavy) - s.byt(light);
      if (light === heavy || gap <= 0) continue;
      for (const p of s.partitions) {
        if (!p.replicas.includes(heavy)) continue;
        // Single move: Σbytes² falls by 2·size·(gap - size).
        if (s.cnt(heavy) - 1 >= lo && s.cnt(light) + 1 <= hi && p.size < gap && s.canPlace(p, heavy, light)) {
          const gain = (2 * p.size * (gap - p.size)) / Math.max(1, s.cost(p, heavy, light)[0]);
          consider(gain, () => s.replace(p, heavy, light));
        }
        // Swap with a smaller partition on `light`: two replicas move, counts stay.
        for (const q of s.partitions) {
          const d = p.size - q.size;
          if (d <= 0 || d >= gap || q === p || !q.replicas.includes(light)) continue;
          if (!s.canPlace(p, heavy, light) || !s.canPlace(q, light, heavy)) continue;
          const moves = Math.max(1, s.cost(p, heavy, light)[0] + s.cost(q, light, heavy)[0]);
          consider((2 * d * (gap - d)) / moves, () => {
            s.replace(p, heavy, light);
            s.replace(q, light, heavy);
          });
        }
      }
    }
    if (best.apply === null) return;
    best.apply();
  }
}
