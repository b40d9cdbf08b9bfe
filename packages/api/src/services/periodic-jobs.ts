import { formatDuration } from "@shardcast/core/format";
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

/**
 * An alert says how long a job has been silent to the minute: seconds would only make the message
 * change on every refresh ("45 s", "12 min", "3 h 5 min", "2 d 4 h").
 */
export function roughDuration(ms: number): string {
  return formatDuration(ms >= 60_000 ? Math.floor(ms / 60_000) * 60_000 : ms);
}

export function overdueMessage(job: OverdueJob): string {
  const when = job.lastRanAt ? `last ran ${roughDuration(job.silentMs)} ago` : `has not run since its schedule was declared ${roughDuration(job.silentMs)} ago`;
  return `Periodic job ${job.name} ${when} (it runs every ${roughDuration(job.everyMs)}): is a worker running?`;
}
