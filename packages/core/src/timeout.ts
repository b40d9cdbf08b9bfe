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
