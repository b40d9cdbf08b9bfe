/**
 * Pure pacing of a migration's copy: the rows/s budget, the allowed window and the progress
 * figures the console shows. Clocks are passed in.
 */

/** The window a migration may copy in (epoch ms, either end open when null). */
export interface CopyWindow {
  start: number | null;
  end: number | null;
}

export type WindowCheck =
  | { state: "open" }
  /** Not yet open: copy nothing until `opensAt`. */
  | { state: "before"; opensAt: number }
  /** Over: a copy that has not switched by now will not get another chance in this window. */
  | { state: "over"; closedAt: number };

/** Where `now` is relative to the window: start inclusive, end exclusive. */
export function checkWindow(now: number, w: CopyWindow): WindowCheck {
  if (w.end !== null && now >= w.end) return { state: "over", closedAt: w.end };
  if (w.start !== null && now < w.start) return { state: "before", opensAt: w.start };
  return { state: "open" };
}

/**
 * Keeps a copy at or below `rowsPerSecond` on average since it started: after each chunk, how long
 * to wait before the next one. A budget of 0 means unlimited.
 */
export class CopyPacer {
  private rows = 0;

  constructor(
    private readonly rowsPerSecond: number,
    private readonly startedAt: number,
  ) {}

  /** Records `rows` copied by `now`; returns the ms to wait before copying more. */
  add(rows: number, now: number): number {
    this.rows += rows;
    if (this.rowsPerSecond <= 0) return 0;
    const due = this.startedAt + (this.rows * 1000) / this.rowsPerSecond;
    return Math.max(0, Math.ceil(due - now));
  }
}

/** Exponentially smoothed copy rate (rows/s); the first sample is taken as it is. */
export function smoothRate(previous: number, sample: number, weight = 0.3): number {
  if (!Number.isFinite(sample) || sample < 0) return previous;
  if (previous <= 0) return sample;
  return previous + weight * (sample - previous);
}

/** Seconds until the copy is done at `rowsPerSecond`, or null when that cannot be told yet. */
export function copyEtaSeconds(rowsTotal: number, rowsCopied: number, rowsPerSecond: number): number | null {
  if (rowsPerSecond <= 0) return null;
  return Math.max(0, Math.ceil((rowsTotal - rowsCopied) / rowsPerSecond));
}

/** Chunks a copy runs before its rate is trusted to project when it ends. */
export const ETA_MIN_CHUNKS = 2;

/**
 * Whether a copy at its measured rate would end after its window closes: the seconds it still
 * needs and the seconds the window has left, or null when it fits (or has no end, or no rate yet).
 * Stopping then, rather than at the close, spares the copying a move that cannot finish in time.
 */
export function copyOverrun(q: { now: number; windowEnd: number | null; rowsTotal: number; rowsCopied: number; rowsPerSecond: number }): { etaSec: number; leftSec: number } | null {
  if (q.windowEnd === null) return null;
  const etaSec = copyEtaSeconds(q.rowsTotal, q.rowsCopied, q.rowsPerSecond);
  if (etaSec === null) return null;
  const leftSec = Math.max(0, Math.floor((q.windowEnd - q.now) / 1000));
  return q.now + etaSec * 1000 > q.windowEnd ? { etaSec, leftSec } : null;
}
