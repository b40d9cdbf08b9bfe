import { MIB } from "./format.ts";
import { bytesLimit, loadLimit, type ClusterModel, type HostModel } from "./model.ts";
import type { Candidate, Failure } from "./explain.ts";
import type { RebalanceSettings } from "./settings.ts";

export interface FoundMove {
  c: Candidate;
  dest: HostModel;
  benefit: number;
  perMb: number;
  /** How the move ranks: its benefit, or its benefit per second of migration for a host under pressure. */
  score: number;
}

export interface Search {
  best: FoundMove | null;
  /** Why the best-looking candidates failed, the first (largest feasible load) for each reason. */
  failures: Map<Failure, { c: Candidate; dest: HostModel | null; perMb?: number }>;
  /** Nothing fits any destination by load (every candidate too big, or no room at all). */
  roomForLoad: number;
  tooBig: Candidate | null;
  /** Candidates not yet used by an earlier move of this run. */
  available: number;
}

function mbOf(bytes: number): number {
  // A shardlet of a few bytes still costs a copy: count at least 1 KiB.
  return Math.max(bytes / MIB, 1 / 1024);
}

/** Utilisation of a host at a given load. */
export function util(h: HostModel, load: number): number {
  const cap = h.host.capacityEventsPerSec;
  return cap > 0 ? load / cap : load > 0 ? Infinity : 0;
}

/** The highest load a destination may reach: below the hysteresis band and the headroom limit. */
export function destCeiling(h: HostModel, s: RebalanceSettings): number {
  return Math.min(h.share * (1 + s.tolerance - s.hysteresis), loadLimit(h, s));
}

/**
 * The best single move off `src`: the candidate with the largest benefit (reduction of the pair's
 * peak utilisation, in the source's events/s) that passes every check, to the coldest destination
 * that can take it. Candidates are scanned largest load first; since a move's benefit never
 * exceeds its load, the scan stops as soon as the loads left cannot beat the best found. With
 * `cost` (a source past its load limit) the score is the benefit per second the migration takes,
 * so a shardlet whose load has outgrown its bytes (a key that just got hot) goes first.
 */
export function findMove(
  src: HostModel,
  list: readonly Candidate[],
  used: ReadonlySet<string>,
  model: ClusterModel,
  settings: RebalanceSettings,
  bytesPlanned: number,
  windowMs: number,
  cost?: { setupSec: number; copyBytesPerSec: number },
): Search {
  const dests = model.active.filter((h) => h !== src).sort((a, b) => util(a, a.load) - util(b, b.load) || (a.host.id < b.host.id ? -1 : 1));
  let room = 0;
  for (const d of dests) room = Math.max(room, destCeiling(d, settings) - d.load);
  let available = 0;
  for (const c of list) if (!used.has(c.s.id)) available++;
  const search: Search = { best: null, failures: new Map(), roomForLoad: room, tooBig: null, available };
  if (room <= 0 || available === 0) return search;

  // First candidate small enough for the roomiest destination (the list is sorted by load, descending).
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.load > room) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0; i--) {
    if (!used.has(list[i]!.s.id)) {
      search.tooBig = list[i]!;
      break;
    }
  }
  const budget = settings.bandwidthBytesPerSec * settings.maxCopySec;
  const srcUtil = util(src, src.load);
  const fail = (why: Failure, c: Candidate, dest: HostModel | null, perMb?: number) => {
    const prev = search.failures.get(why);
    if (!prev || (why === "lowBenefit" && (perMb ?? 0) > (prev.perMb ?? 0))) search.failures.set(why, { c, dest, ...(perMb !== undefined ? { perMb } : {}) });
  };
  for (let i = lo; i < list.length; i++) {
    const c = list[i]!;
    if (used.has(c.s.id)) continue;
    if (!cost && search.best && c.load <= search.best.benefit) break;
    let dest: HostModel | null = null;
    let bytesBlocked: HostModel | null = null;
    for (const d of dests) {
      if (d.load + c.load > destCeiling(d, settings) + 1e-9) continue;
      if (d.bytes + c.bytes > bytesLimit(d, settings) + 1e-9) {
        bytesBlocked ??= d;
        continue;
      }
      dest = d;
      break;
    }
    if (!dest) {
      if (bytesBlocked) fail("bytes", c, bytesBlocked);
      continue;
    }
    const after = Math.max(util(src, src.load - c.load), util(dest, dest.load + c.load));
    const benefit = (srcUtil - after) * src.host.capacityEventsPerSec;
    if (!(benefit > 1e-9)) {
      fail("noGain", c, dest);
      continue;
    }
    const perMb = benefit / mbOf(c.bytes);
    if (perMb < settings.minBenefitPerMB) {
      fail("lowBenefit", c, dest, perMb);
      continue;
    }
    if (bytesPlanned + c.bytes > budget) {
      fail("bandwidth", c, dest);
      continue;
    }
    if ((c.bytes / settings.bandwidthBytesPerSec) * 1000 > windowMs) {
      fail("window", c, dest);
      continue;
    }
    const score = cost ? benefit / (cost.setupSec + c.bytes / Math.max(1, cost.copyBytesPerSec)) : benefit;
    const best = search.best;
    if (!best || score > best.score + 1e-12 || (Math.abs(score - best.score) <= 1e-12 && perMb > best.perMb)) {
      search.best = { c, dest, benefit, perMb, score };
    }
  }
  return search;
}
