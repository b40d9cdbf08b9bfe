/**
 * Incremental, sticky assignment of a stream's shardlets to a consumer group's members, balanced by
 * load (events/s, forecast or recent) rather than by count, in the spirit of KIP-848: what a live
 * member holds stays with it; a split or merged shardlet goes to the member that held its parent;
 * only when a member is above the mean by more than the tolerance are shardlets moved, one at a
 * time and only while a move narrows the spread, choosing the one that best closes the gap. A join
 * therefore moves only enough to feed the newcomer, and a leave only the leaver's shardlets.
 *
 * Members may weigh differently (`weight`, from how fast each one processes: member-weights.ts):
 * loads are then compared per unit of weight, so a member of weight 1/3 is balanced at a third of
 * the load of a member of weight 1. With every weight 1 (the default) the arithmetic is the same
 * as balancing plain loads.
 */
export interface AssignInput {
  /** `weight`: the member's relative capacity (default 1; must be positive). */
  members: ReadonlyArray<{ id: string; weight?: number }>;
  shardlets: ReadonlyArray<{ id: string; load: number; parents?: readonly string[] }>;
  /** shardletId -> memberId; may name dead members or retired shardlets (parents). */
  current: ReadonlyMap<string, string>;
  /** Imbalance tolerated above the mean load before anything moves (default 0.2). */
  tolerance?: number;
}

export interface AssignMove {
  shardletId: string;
  from: string | null;
  to: string;
  reason: string;
}

export interface AssignResult {
  assignment: Map<string, string>;
  moved: AssignMove[];
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function assignShardlets(input: AssignInput): AssignResult {
  const assignment = new Map<string, string>();
  const moved: AssignMove[] = [];
  const members = [...input.members].sort(byId);
  if (members.length === 0) return { assignment, moved };
  const live = new Set(members.map((m) => m.id));
  const shardlets = [...input.shardlets].sort(byId);
  const total = shardlets.reduce((n, s) => n + Math.max(0, s.load), 0);
  // Zero-load shardlets still weigh a little, so they spread by count instead of piling up.
  const eps = Math.max(1e-3, total / Math.max(1, shardlets.length) / 100);
  const weight = new Map(shardlets.map((s) => [s.id, Math.max(0, s.load) + eps]));
  const load = new Map(members.map((m) => [m.id, 0]));
  const cap = new Map(members.map((m) => [m.id, m.weight !== undefined && Number.isFinite(m.weight) && m.weight > 0 ? m.weight : 1]));
  const capOf = (m: string) => cap.get(m) ?? 1;
  /** A member's load per unit of weight: what balancing compares. */
  const rel = (m: string, extra = 0) => ((load.get(m) ?? 0) + extra) / capOf(m);
  const give = (id: string, to: string) => {
    assignment.set(id, to);
    load.set(to, (load.get(to) ?? 0) + weight.get(id)!);
  };
  const lightest = (among: readonly string[]) => among.reduce((best, m) => (rel(m) < rel(best) ? m : best));
  // Where a shardlet weighs least once added: with unequal weights the lightest member is not
  // always the one it fits best (a slow member's share fills faster).
  const bestFor = (among: readonly string[], w: number) =>
    among.reduce((best, m) => {
      const a = rel(m, w);
      const b = rel(best, w);
      return a < b || (a === b && rel(m) < rel(best)) ? m : best;
    });

  for (const s of shardlets) {
    const m = input.current.get(s.id);
    if (m && live.has(m)) give(s.id, m);
  }
  const rest: typeof shardlets = [];
  for (const s of shardlets) {
    if (assignment.has(s.id)) continue;
    const heirs = (s.parents ?? []).map((p) => input.current.get(p)).filter((m): m is string => m !== undefined && live.has(m));
    if (heirs.length > 0) {
      const to = bestFor([...new Set(heirs)].sort(), weight.get(s.id)!);
      give(s.id, to);
      moved.push({ shardletId: s.id, from: null, to, reason: "continues its parent's holder" });
    } else rest.push(s);
  }
  rest.sort((a, b) => weight.get(b.id)! - weight.get(a.id)! || (a.id < b.id ? -1 : 1));
  for (const s of rest) {
    const to = bestFor(members.map((m) => m.id), weight.get(s.id)!);
    give(s.id, to);
    const from = input.current.get(s.id) ?? null;
    moved.push({ shardletId: s.id, from, to, reason: from ? "its holder left" : "unassigned" });
  }

  const tolerance = input.tolerance ?? 0.2;
  const ids = members.map((m) => m.id);
  for (let guard = 0; guard < shardlets.length * 2 && ids.length > 1; guard++) {
    const { pool, mean } = balancePool(ids, assignment, load, weight, cap, tolerance);
    if (pool.length < 2) break;
    const heaviest = pool.reduce((best, m) => (rel(m) > rel(best) ? m : best));
    const light = lightest(pool);
    const hi = load.get(heaviest) ?? 0;
    const lo = load.get(light) ?? 0;
    const capHi = capOf(heaviest);
    const capLo = capOf(light);
    // The most that can move without the lighter ending above where the heavier started (per
    // unit of weight): a move within it narrows the spread; a bigger one would bounce back.
    const gap = (hi / capHi) * capLo - lo;
    if (hi / capHi <= mean * (1 + tolerance)) break;
    // Bring the heavier to its share, or the lighter up to its own, whichever is nearer: moving
    // more would only make the lighter the next donor and cost moves between members that were fine.
    const want = Math.min(hi - mean * capHi, mean * capLo - lo);
    let pick: string | null = null;
    let pickScore = Number.POSITIVE_INFINITY;
    for (const [sid, m] of assignment) {
      if (m !== heaviest) continue;
      const w = weight.get(sid)!;
      // Only a move that narrows the spread between the two members: otherwise it would bounce back.
      if (w >= gap) continue;
      const score = Math.abs(want - w);
      if (score < pickScore || (score === pickScore && pick !== null && sid < pick)) {
        pick = sid;
        pickScore = score;
      }
    }
    // A shardlet over the fair share by itself ends up alone wherever it is: moving it to the
    // lightest member costs one move where isolating it in place would move everything beside it.
    let oversized: string | null = null;
    for (const [sid, m] of assignment) {
      const w = weight.get(sid)!;
      if (m === heaviest && w > mean * capHi * (1 + tolerance) && w < gap && (oversized === null || w > weight.get(oversized)!)) oversized = sid;
    }
    if (oversized !== null && lo / capLo < (hi - weight.get(oversized)!) / capHi) pick = oversized;
    if (pick === null) break;
    const w = weight.get(pick)!;
    assignment.set(pick, light);
    load.set(heaviest, hi - w);
    load.set(light, lo + w);
    const prior = moved.findIndex((mv) => mv.shardletId === pick);
    if (prior >= 0) moved[prior] = { ...moved[prior]!, to: light };
    else moved.push({ shardletId: pick, from: heaviest, to: light, reason: "balance by load" });
  }
  return { assignment, moved };
}

/**
 * The members balancing is about, and their mean load per unit of weight: a member whose only
 * shardlet is heavier than its fair share cannot be helped by any move (the shardlet is
 * indivisible), so it is set aside, and the rest are balanced against their own mean instead of
 * one it inflates.
 */
function balancePool(
  ids: readonly string[],
  assignment: ReadonlyMap<string, string>,
  load: ReadonlyMap<string, number>,
  weight: ReadonlyMap<string, number>,
  cap: ReadonlyMap<string, number>,
  tolerance: number,
): { pool: string[]; mean: number } {
  const single = new Map<string, number>();
  const count = new Map<string, number>();
  for (const [sid, m] of assignment) {
    count.set(m, (count.get(m) ?? 0) + 1);
    single.set(m, weight.get(sid) ?? 0);
  }
  let pool = [...ids];
  for (;;) {
    const capacity = pool.reduce((n, m) => n + (cap.get(m) ?? 1), 0);
    const mean = pool.reduce((n, m) => n + (load.get(m) ?? 0), 0) / Math.max(1, capacity);
    const next = pool.filter((m) => !(count.get(m) === 1 && (single.get(m) ?? 0) > mean * (cap.get(m) ?? 1) * (1 + tolerance)));
    if (next.length === pool.length || next.length === 0) return { pool, mean };
    pool = next;
  }
}
