import { ShardcastError } from "./errors.ts";

/**
 * Rejects if `work` has not settled after `ms`: with `unavailable` ("<what> timed out after <ms>
 * ms") for a string, else with the error `timedOut` makes. `work` itself is not cancelled: its
 * later rejection is swallowed, since nobody waits for it any more.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, timedOut: string | (() => Error)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(typeof timedOut === "string" ? new ShardcastError("unavailable", `${timedOut} timed out after ${ms} ms`) : timedOut()), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits `ms`, or rejects as soon as `signal` aborts: with the signal's reason when it is an error,
 * else `unavailable` ("aborted"). A wait between steps of a cancellable job must end the job, not
 * let it run one more step after it was cancelled.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new ShardcastError("unavailable", "aborted"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
