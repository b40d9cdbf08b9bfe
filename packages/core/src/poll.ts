/** What `pollUntil` hands back: the check's first truthy answer. */
export type Found<T> = Exclude<T, false | null | undefined | 0 | "">;

export interface PollOptions {
  /** Pause between checks (default 20 ms); 0 checks on every turn of the event loop. */
  intervalMs?: number;
  /** Appended (on a line of its own) to the timeout error: what the caller saw instead. */
  explain?: () => Promise<string> | string;
}

/**
 * Calls `check` until it answers with something truthy (true, a row, a value) and returns that;
 * throws "timed out waiting for <what>" once `timeoutMs` has passed. `check` is called at least
 * once, even with no time left, so a condition that already holds never fails. A `check` that
 * throws ends the wait with its error: how a caller stops early (a process that died, a job that
 * failed) instead of waiting out the deadline.
 */
export async function pollUntil<T>(what: string, check: () => Promise<T> | T, timeoutMs: number, opts: PollOptions = {}): Promise<Found<T>> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 20;
  for (;;) {
    const v = await check();
    if (v) return v as Found<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${opts.explain ? `\n${await opts.explain()}` : ""}`);
    // setImmediate, not setTimeout(0): timers are clamped to 1 ms, and a race test needs every turn.
    await new Promise((r) => (interval > 0 ? setTimeout(r, interval) : setImmediate(r)));
  }
}
