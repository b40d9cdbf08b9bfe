import { WARMUP_DAYS } from "../config.ts";
import type { WorkloadName } from "../workload/catalog.ts";

/**
 * One run of a workload: which seed and, for a real trace, from which day. Generators differ by
 * seed; a trace's seed only reshuffles keys over the same days, so a trace's independent samples
 * are its time windows.
 */
export interface ContestSample {
  workload: WorkloadName;
  seed: number;
  /** First day of the trace used (0 for generators). */
  startDay: number;
  days: number;
}

export const TRACE_NAMES: ReadonlySet<WorkloadName> = new Set<WorkloadName>(["dos-traces", "nab-tweets"]);

/** Days each trace holds (the shortest series), for windows rolling over it. */
export const TRACE_DAYS: Readonly<Partial<Record<WorkloadName, number>>> = { "dos-traces": 21, "nab-tweets": 55 };

/** The days a run scores, [from, to): everything after its warm-up. */
export function measuredWindow(s: Pick<ContestSample, "startDay" | "days">): [number, number] {
  return [s.startDay + Math.min(WARMUP_DAYS, s.days), s.startDay + s.days];
}

const overlap = (a: readonly [number, number], b: readonly [number, number]) => a[0] < b[1] && b[0] < a[1];

/**
 * Where the `index`-th scored run of a workload starts. A trace's runs roll over it: each one's
 * measured days follow the one before's (the tweets' five seeds score five different weeks, not
 * one week five times), wrapping round when the trace has fewer windows than runs (the three-week
 * dos traces have one). Generators start at day 0: their seeds are their samples.
 */
export function scoredStartDay(workload: WorkloadName, index: number, days: number): number {
  const total = TRACE_DAYS[workload];
  const measured = days - WARMUP_DAYS;
  if (total === undefined || measured <= 0) return 0;
  const windows = Math.max(1, Math.floor((total - WARMUP_DAYS) / measured));
  return (index % windows) * measured;
}

/**
 * The tuning samples for scored samples, `tuneDays` long: for a generator the same workload at
 * each of `tuningSeeds`, which must not be scored; for a trace every window whose measured days
 * overlap no scored run's measured days (nor another tuning window's), rolling over the whole
 * trace (a trace with none left, like the three-week dos traces, is not tuned on at all). A tuning
 * window's warm-up may hold scored days: it is history the policies learn from, never minutes a
 * knob is chosen by. Throws if a tuning sample would be scored: tuning must never be judged on the
 * minutes it is scored on.
 */
export function tuningSamples(scored: readonly ContestSample[], tuningSeeds: readonly number[], tuneDays: (workload: WorkloadName) => number): ContestSample[] {
  const out: ContestSample[] = [];
  for (const name of new Set(scored.map((s) => s.workload))) {
    const mine = scored.filter((s) => s.workload === name);
    const days = tuneDays(name);
    if (!TRACE_NAMES.has(name)) {
      for (const seed of tuningSeeds) out.push({ workload: name, seed, startDay: 0, days });
      continue;
    }
    const taken = mine.map(measuredWindow);
    const step = Math.max(1, days - WARMUP_DAYS);
    for (let start = 0; start + days <= (TRACE_DAYS[name] ?? 0); start += step) {
      const window = measuredWindow({ startDay: start, days });
      if (taken.some((t) => overlap(t, window))) continue;
      taken.push(window);
      out.push({ workload: name, seed: mine[0]!.seed, startDay: start, days });
    }
  }
  for (const t of out) {
    const clash = scored.some((s) => s.workload === t.workload && (TRACE_NAMES.has(s.workload) ? overlap(measuredWindow(s), measuredWindow(t)) : s.seed === t.seed));
    if (clash) throw new Error(`tuning sample ${t.workload} seed ${t.seed} day ${t.startDay} overlaps a scored one`);
  }
  return out;
}
