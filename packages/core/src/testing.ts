/**
 * Test support shared by every package's tests (not exported from the domain index, so the
 * simulator and the benchmarks never load it). It lives here, at the bottom of the layering,
 * because the packages below `db` (runtime, models, jobs) wait on events in their tests too.
 */

import { pollUntil, type Found, type PollOptions } from "./poll.ts";

export type { Found };

/**
 * `pollUntil` with a deadline of 10 s unless told: what tests wait on instead of sleeping (a job
 * that completed, a row that appeared, a watermark that moved). `intervalMs` 0 is for a window a
 * race test must not miss.
 */
export function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10_000, opts: PollOptions = {}): Promise<Found<T>> {
  return pollUntil(what, check, timeoutMs, opts);
}
