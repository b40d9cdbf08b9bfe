import type { MoveMode } from "../migration/phases.ts";
import type { MoveProposal, PlacementHost, PlacementNote } from "../placement/types.ts";
import { formatBytes } from "../format.ts";
import { pct, rate, seconds } from "./format.ts";
import { addInto, secondsUntilRate } from "./series.ts";
import type { AnalyzerSettings } from "./settings.ts";
import type { AnalyzerShardlet } from "./types.ts";

/**
 * Placement by predicted load with bounded loads (the consistent-hashing-with-bounded-loads idea):
 * no host is planned above `hostLoadBound` x the mean predicted utilisation. A host predicted
 * above its bound sheds the set of shardlets that brings it under the bound at the least copy
 * cost, picked greedily by cost per events/s of relief still needed: a move costs its copy time
 * times the work it adds meanwhile (the copy's share of both hosts, and the shardlet's own writes
 * shadowed to the destination), so a cold shardlet that is enough is preferred to the hottest one,
 * whose copy carries the most shadow writes and competes with its own burst, and a move whose copy
 * would finish after the predicted overload is taken only when no other will do. A hot shardlet
 * goes to the host with the least predicted load (hot ranges spread), a cold one to the fullest
 * host it still fits under its bound (cold ranges pack, leaving room for hot ones). Starting from
 * the current placement, only moves that take at least `minMoveBenefit` events/s off the busier
 * host of the pair are proposed, so a balanced cluster moves nothing.
 */

const MAX_NOTES = 100;

/**
 * Work a copy adds while it runs, from the product's `migration` benchmark (docs/testing.md): the
 * copy at its budget takes about 5% of a host on each end, and shadow writes cost about 1.2 x the
 * moving shardlet's write rate (its events written to the destination too, and a second statement
 * on the source).
 */
export const COPY_SHARE_PER_END = 0.05;
export const SHADOW_WRITE_FACTOR = 1.2;

export interface MovePlanInput {
  hosts: readonly PlacementHost[];
  shardlets: readonly AnalyzerShardlet[];
  /** Planning load per shardlet: its predicted peak (events/s). */
  planLoad: ReadonlyMap<string, number>;
  forecasts: ReadonlyMap<string, readonly number[]>;
  settings: AnalyzerSettings;
  bucketSec: number;
  /** Not moved: busy, or about to be split. */
  exclude: ReadonlySet<string>;
  /** `handoff`: a move copies nothing (no copy time, no bytes onto the destination). */
  moveMode: MoveMode;
}

interface HostPlan {
  host: PlacementHost;
  load: number;
  bytes: number;
  bound: number;
  /** Forecast load per step of the shardlets on the host now, and the rate just observed. */
  series: number[];
  observed: number;
}

export function planPredictedMoves(input: MovePlanInput): { moves: MoveProposal[]; notes: PlacementNote[] } {
  const { settings } = input;
  const notes: PlacementNote[] = [];
  const note = (n: PlacementNote) => {
    if (notes.length < MAX_NOTES) notes.push(n);
  };
  const plans = new Map<string, HostPlan>();
  for (const h of input.hosts) plans.set(h.id, { host: h, load: 0, bytes: h.sizeBytes, bound: 0, series: [], observed: 0 });
  const byHost = new Map<string, AnalyzerShardlet[]>();
  for (const s of input.shardlets) {
    const p = plans.get(s.hostId);
    if (!p) continue;
    p.load += input.planLoad.get(s.id) ?? 0;
    addInto(p.series, input.forecasts.get(s.id) ?? []);
    p.observed += s.history[s.history.length - 1] ?? s.load;
    const list = byHost.get(s.hostId);
    if (list) list.push(s);
    else byHost.set(s.hostId, [s]);
  }
  const active = [...plans.values()].filter((p) => p.host.status === "active" && p.host.capacityEventsPerSec > 0);
  const capacity = active.reduce((sum, p) => sum + p.host.capacityEventsPerSec, 0);
  if (active.length === 0 || capacity <= 0) return { moves: [], notes };
  const mean = active.reduce((sum, p) => sum + p.load, 0) / capacity;
  // Bounded loads around the mean, but never tolerated past the overload fraction unless the mean
  // itself is there (then every host above the mean is leveled and the scale signal fires).
  const boundUtil = Math.min(settings.hostLoadBound * mean, Math.max(mean, settings.overloadFraction));
  for (const p of active) p.bound = boundUtil * p.host.capacityEventsPerSec;

  const over = active
    .filter((p) => p.load - p.bound >= settings.minMoveBenefit && p.load > p.bound && p.load >= settings.minHostUtilization * p.host.capacityEventsPerSec)
    .sort((a, b) => b.load / b.host.capacityEventsPerSec - a.load / a.host.capacityEventsPerSec || (a.host.id < b.host.id ? -1 : 1));
  if (over.length === 0) return { moves: [], notes };
  if (active.length < 2) {
    for (const p of over) note({ hostId: p.host.id, message: `predicted ${rate(p.load)}, above its bound of ${rate(p.bound)}, and no other active host to move to` });
    return { moves: [], notes };
  }

  const liveLoads = input.shardlets.filter((s) => plans.get(s.hostId)?.host.status === "active").map((s) => input.planLoad.get(s.id) ?? 0);
  const hotCut = liveLoads.length > 0 ? liveLoads.reduce((a, b) => a + b, 0) / liveLoads.length : 0;
  const moves: MoveProposal[] = [];
  const handoff = input.moveMode === "handoff";
  // Bytes a move puts on its destination and the seconds its copy takes: none for a hand-off.
  const moved = (s: AnalyzerShardlet) => (handoff ? 0 : s.sizeBytes);
  const copySecOf = (s: AnalyzerShardlet) => moved(s) / settings.copyBytesPerSec;
  for (const src of over) {
    const urgency = hostUrgency(src, input.bucketSec);
    const deadlineSec = urgency === null ? null : Math.max(urgency, input.bucketSec);
    const remaining = (byHost.get(src.host.id) ?? []).filter((s) => s.state === "active" && !input.exclude.has(s.id) && (input.planLoad.get(s.id) ?? 0) > 0);
    // The copy's share of both hosts, in events/s of work (a hand-off copies nothing).
    const copyWork = handoff ? 0 : COPY_SHARE_PER_END * 2 * src.host.capacityEventsPerSec;
    const pick = (): AnalyzerShardlet | undefined => {
      let best: AnalyzerShardlet | undefined;
      let bestKey: [number, number, number] = [Infinity, Infinity, Infinity];
      const need = Math.max(src.load - src.bound, 1e-9);
      for (const s of remaining) {
        const load = input.planLoad.get(s.id) ?? 0;
        const copySec = copySecOf(s);
        const late = deadlineSec !== null && copySec > deadlineSec ? 1 : 0;
        const cost = (copySec + 1) * (copyWork + (handoff ? 1 : SHADOW_WRITE_FACTOR) * load);
        const key: [number, number, number] = [late, cost / Math.min(load, need), -load];
        if (key[0] < bestKey[0] || (key[0] === bestKey[0] && (key[1] < bestKey[1] * (1 - 1e-9) || (Math.abs(key[1] - bestKey[1]) <= bestKey[1] * 1e-9 && (key[2] < bestKey[2] || (key[2] === bestKey[2] && best !== undefined && s.id < best.id)))))) {
          best = s;
          bestKey = key;
        }
      }
      if (best) remaining.splice(remaining.indexOf(best), 1);
      return best;
    };
    for (let s = pick(); s !== undefined; s = pick()) {
      if (src.load <= src.bound || moves.length >= settings.maxProposals) break;
      const load = input.planLoad.get(s.id) ?? 0;
      const hot = load >= hotCut;
      let dest: HostPlan | null = null;
      for (const d of active) {
        if (d === src) continue;
        if (d.load + load > d.bound) continue;
        if (d.bytes + moved(s) > d.host.capacityBytes * settings.scaleOutUtilization) continue;
        if (!dest) {
          dest = d;
          continue;
        }
        const du = (d.load + load) / d.host.capacityEventsPerSec;
        const bu = (dest.load + load) / dest.host.capacityEventsPerSec;
        if (hot ? du < bu || (du === bu && d.host.id < dest.host.id) : du > bu || (du === bu && d.host.id < dest.host.id)) dest = d;
      }
      if (!dest) {
        note({
          streamId: s.streamId,
          shardletId: s.id,
          hostId: src.host.id,
          message: `no active host can take this shardlet's predicted ${rate(load)} and ${formatBytes(s.sizeBytes)} without passing its bound`,
        });
        continue;
      }
      const benefit = src.load - Math.max(src.load - load, dest.load + load);
      if (benefit < settings.minMoveBenefit) {
        note({
          streamId: s.streamId,
          shardletId: s.id,
          hostId: src.host.id,
          message: `moving it would take only ${rate(Math.max(0, benefit))} off the busier host (minimum ${rate(settings.minMoveBenefit)})`,
        });
        continue;
      }
      const copySec = copySecOf(s);
      const deadline = deadlineSec;
      const reason =
        `host predicted at ${rate(src.load)}, above its bound of ${rate(src.bound)} ` +
        `(${settings.hostLoadBound} x the mean predicted utilisation ${pct(mean)}, capped at ${pct(Math.max(mean, settings.overloadFraction))})` +
        (urgency === null ? "" : `, in ${seconds(urgency)}`) +
        `; this ${hot ? "hot" : "cold"} shardlet's predicted ${rate(load)} moves to a host at ${rate(dest.load)} of its ${rate(dest.bound)} bound`;
      moves.push({
        shardletId: s.id,
        streamId: s.streamId,
        sourceHostId: src.host.id,
        destHostId: dest.host.id,
        reason,
        bytesToMove: moved(s),
        mode: input.moveMode,
        expectedLoad: {
          [src.host.id]: { before: src.load, after: src.load - load },
          [dest.host.id]: { before: dest.load, after: dest.load + load },
        },
        benefit,
        feasibility: {
          headroom: {
            ok: true,
            detail: `destination at ${rate(dest.load + load)} of its ${rate(dest.bound)} bound and ${formatBytes(dest.bytes + moved(s))} of ${formatBytes(dest.host.capacityBytes)} after the move`,
          },
          bandwidth: handoff
            ? { ok: true, detail: `a hand-off copies nothing: the ${formatBytes(s.sizeBytes)} of history stay where they are until retention drops them` }
            : {
                ok: deadline === null || copySec <= deadline,
                detail:
                  `copying ${formatBytes(s.sizeBytes)} takes about ${seconds(copySec)} at ${formatBytes(settings.copyBytesPerSec)}/s` +
                  (deadline === null ? "" : copySec <= deadline ? `, before the predicted overload` : `, longer than the ${seconds(deadline)} before the predicted overload`),
              },
          window: { ok: true, detail: "the analyzer sets no migration window" },
        },
        ...(urgency === null ? {} : { urgencySec: Math.round(urgency) }),
      });
      src.load -= load;
      src.bytes -= moved(s);
      dest.load += load;
      dest.bytes += moved(s);
    }
    if (src.load > src.bound && moves.length < settings.maxProposals) {
      note({ hostId: src.host.id, message: `stays predicted at ${rate(src.load)}, above its bound of ${rate(src.bound)}: no further move fits` });
    }
  }
  return { moves, notes };
}

/** Seconds until a host's forecast load passes its bound; else until its predicted peak. */
function hostUrgency(p: HostPlan, bucketSec: number): number | null {
  const crossing = secondsUntilRate(p.observed, p.series, p.bound, bucketSec);
  if (crossing !== null) return crossing;
  if (p.series.length === 0) return null;
  let at = 0;
  for (let i = 1; i < p.series.length; i++) if (p.series[i]! > p.series[at]!) at = i;
  return (at + 0.5) * bucketSec;
}
