import { ShardcastError } from "@shardcast/core";

// Shared by the job processors and the flows they run (migration, lifecycle, rebalance): it lives
// below both, so a flow never imports from the processors folder.

/** Rejects with `unavailable` if `work` has not settled after `ms`; `work` itself is not cancelled. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ShardcastError("unavailable", `${what} timed out after ${ms} ms`)), ms);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throws the signal's reason when it has been aborted (else `unavailable`, "<what> aborted"): call between steps of a job. */
export function checkAborted(signal: AbortSignal | undefined, what = "job"): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new ShardcastError("unavailable", `${what} aborted`);
}
