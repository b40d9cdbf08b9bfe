import type { Comparison } from "../compare.ts";
import type { HostEvent, PolicyRun } from "../engine/policy-run.ts";
import { fmtNum, fmtPct } from "./format.ts";

/**
 * Where a policy's violation minutes come from: runs of ticks with a host above capacity, each
 * with the cluster around it (hosts paid and serving, the hosts the capacity plan wanted, the
 * hottest host) and what happened to the membership shortly before and during it. The headline
 * figures pool such episodes; a few long ones usually make most of a policy's minutes, and this
 * says whether a host was missing (none asked for in time, or one still filling) or the load sat
 * on one host while the cluster had room.
 */
export interface Incident {
  /** First and last tick with a violation (a gap of `mergeGapTicks` or fewer joins two runs). */
  fromTick: number;
  toTick: number;
  violationMinutes: number;
  /** Hosts paid for and serving at the first tick, and the most serving during the incident. */
  paidAtStart: number;
  servingAtStart: number;
  servingMax: number;
  /** Hosts the capacity plan wanted at the first tick (0 for a policy without a plan). */
  plannedAtStart: number;
  /** The hottest host's utilisation averaged over its worst tick (under 1 when it was past capacity for part of the tick only). */
  hottestUtil: number;
  /** Mean utilisation of the serving hosts at that tick: far below the hottest, the load was on one host. */
  meanUtilThen: number;
  /** Membership changes from `lookbackMs` before the first tick to the end of the last. */
  hostEvents: HostEvent[];
}

const LOOKBACK_MS = 6 * 3_600_000;

type IncidentRun = Pick<PolicyRun, "violationMs" | "ticks" | "tickMs" | "measuredFromTick" | "hostsServing" | "hostsPaid" | "planHostsNeeded" | "util" | "hostIds" | "hostEvents">;

export interface IncidentOptions {
  /** Violation-free ticks that still count as the same incident (default 2). */
  mergeGapTicks?: number;
  /** How far back membership changes are shown, ms (default six hours). */
  lookbackMs?: number;
}

/** The measured part's incidents in time order. */
export function violationIncidents(run: IncidentRun, opts: IncidentOptions = {}): Incident[] {
  const gap = opts.mergeGapTicks ?? 2;
  const lookbackMs = opts.lookbackMs ?? LOOKBACK_MS;
  const spans: Array<[number, number]> = [];
  for (let t = run.measuredFromTick; t < run.ticks; t++) {
    if (!((run.violationMs[t] ?? 0) > 0)) continue;
    const last = spans[spans.length - 1];
    if (last && t - last[1] <= gap + 1) last[1] = t;
    else spans.push([t, t]);
  }
  const h = run.hostIds.length;
  return spans.map(([from, to]) => {
    let ms = 0;
    let servingMax = 0;
    let hottestUtil = 0;
    let meanUtilThen = 0;
    for (let t = from; t <= to; t++) {
      ms += run.violationMs[t] ?? 0;
      servingMax = Math.max(servingMax, run.hostsServing[t] ?? 0);
      let hot = 0;
      let sum = 0;
      for (let i = 0; i < h; i++) {
        const u = run.util[t * h + i] ?? 0;
        hot = Math.max(hot, u);
        sum += u;
      }
      if (hot > hottestUtil) [hottestUtil, meanUtilThen] = [hot, sum / Math.max(1, run.hostsServing[t] ?? 0)];
    }
    const startMs = from * run.tickMs - lookbackMs;
    const endMs = (to + 1) * run.tickMs;
    return {
      fromTick: from,
      toTick: to,
      violationMinutes: ms / 60_000,
      paidAtStart: run.hostsPaid[from] ?? 0,
      servingAtStart: run.hostsServing[from] ?? 0,
      servingMax,
      plannedAtStart: run.planHostsNeeded[from] ?? 0,
      hottestUtil,
      meanUtilThen,
      hostEvents: run.hostEvents.filter((e) => e.t >= startMs && e.t < endMs),
    };
  });
}

/** The `limit` largest of a run's incidents (by violation minutes), in time order. */
export function largestIncidents(incidents: readonly Incident[], limit: number): Incident[] {
  return [...incidents]
    .sort((a, b) => b.violationMinutes - a.violationMinutes || a.fromTick - b.fromTick)
    .slice(0, limit)
    .sort((a, b) => a.fromTick - b.fromTick);
}

/** Time `t` (ms) as "day 3 14:05" from the start of the measured part. */
function when(t: number, run: Pick<PolicyRun, "tickMs" | "measuredFromTick">): string {
  const ms = t - run.measuredFromTick * run.tickMs;
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  const day = Math.floor(abs / 86_400_000);
  const hh = String(Math.floor((abs % 86_400_000) / 3_600_000)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3_600_000) / 60_000)).padStart(2, "0");
  return `${sign}day ${day} ${hh}:${mm}`;
}

/** Every policy's largest incidents as text, `limit` per policy, in time order. */
export function incidentsText(c: Comparison, limit = 8): string {
  const out: string[] = [`violation incidents (time from the start of the measured part; the ${limit} largest per policy):`];
  for (const run of c.runs) {
    const all = violationIncidents(run);
    const total = all.reduce((a, x) => a + x.violationMinutes, 0);
    if (all.length === 0) {
      out.push(`  ${run.policy}: none`);
      continue;
    }
    const top = largestIncidents(all, limit);
    const shown = top.reduce((a, x) => a + x.violationMinutes, 0);
    const share = top.length === all.length ? "all shown" : `the ${top.length} shown hold ${fmtPct(total > 0 ? shown / total : 0, 0)} of them`;
    out.push(`  ${run.policy}: ${all.length} incident${all.length === 1 ? "" : "s"}, ${fmtNum(total, 0)} violation minutes; ${share}`);
    for (const x of top) {
      const minutes = (x.toTick - x.fromTick + 1) * (run.tickMs / 60_000);
      const plan = x.plannedAtStart > 0 ? `, plan ${x.plannedAtStart}` : "";
      const events = x.hostEvents.map((e) => `${e.hostId} ${e.kind} ${when(e.t, run)}`).join("; ");
      out.push(
        `    ${when(x.fromTick * run.tickMs, run)} for ${fmtNum(minutes, 0)} min: ${fmtNum(x.violationMinutes, 0)} violation min; hosts ${x.servingAtStart} serving (${x.paidAtStart} paid${plan}), up to ${x.servingMax}; ` +
          `hottest ${fmtPct(x.hottestUtil, 0)} while the serving hosts averaged ${fmtPct(x.meanUtilThen, 0)}` +
          (events ? `; hosts: ${events}` : "; no host asked for, added or drained in the six hours before"),
      );
    }
  }
  return out.join("\n");
}
