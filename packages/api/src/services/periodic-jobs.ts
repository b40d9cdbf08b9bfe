import type { PeriodicJobInfo } from "@shardcast/db";

/**
 * A periodic job is overdue when it has not completed for this many periods plus the margin: one
 * late or failed run is normal (a slow host, a busy worker), three in a row are not, and the
 * margin keeps jobs that run every few seconds from alerting on a worker restart.
 */
export const OVERDUE_PERIODS = 3;
export const OVERDUE_MARGIN_MS = 60_000;

export interface OverdueJob {
  name: string;
  everyMs: number;
  /** Last completed run; null: none since the schedule was declared. */
  lastRanAt: Date | null;
  /** Since the last run (or the declaration when it never ran). */
  silentMs: number;
}

export function overduePeriodicJobs(jobs: readonly PeriodicJobInfo[], now: number): OverdueJob[] {
  const out: OverdueJob[] = [];
  for (const j of jobs) {
    const since = (j.lastCompletedAt ?? j.declaredAt).getTime();
    const silentMs = now - since;
    if (silentMs > OVERDUE_PERIODS * j.everyMs + OVERDUE_MARGIN_MS) out.push({ name: j.name, everyMs: j.everyMs, lastRanAt: j.lastCompletedAt, silentMs });
  }
  return out.sort((a, b) => b.silentMs - a.silentMs);
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h": for alert messages. */
export function roughDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export function overdueMessage(job: OverdueJob): string {
  const when = job.lastRanAt ? `last ran ${roughDuration(job.silentMs)} ago` : `has not run since its schedule was declared ${roughDuration(job.silentMs)} ago`;
  return `Periodic job ${job.name} ${when} (it runs every ${roughDuration(job.everyMs)}): is a worker running?`;
}
