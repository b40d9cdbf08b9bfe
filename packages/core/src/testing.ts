/**
 * Test support shared by every package's tests (not exported from the domain index, so the
 * simulator and the benchmarks never load it). It lives here, at the bottom of the layering,
 * because the packages below `db` (runtime, models, jobs) wait on events in their tests too.
 */

/** What `waitFor` hands back: the check's first truthy answer. */
export type Found<T> = Exclude<T, false | null | undefined | 0 | "">;

/**
 * Polls `check` until it answers with something truthy (true, a row, a value) and returns that;
 * fails after `timeoutMs`, with `explain()` appended when given. What tests wait on instead of
 * sleeping: a job that completed, a row that appeared, a watermark that moved. `intervalMs` 0
 * polls on every turn of the event loop (for a window a race test must not miss).
 */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10_000, opts: { intervalMs?: number; explain?: () => Promise<string> | string } = {}): Promise<Found<T>> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 20;
  for (;;) {
    const v = await check();
    if (v) return v as Found<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${opts.explain ? `\n${await opts.explain()}` : ""}`);
    await new Promise((r) => (interval > 0 ? setTimeout(r, interval) : setImmediate(r)));
  }
}
