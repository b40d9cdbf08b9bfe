import { ShardcastError } from "@shardcast/core";

// Shared by the job processors and the flows they run (migration, lifecycle, rebalance): it lives
// below both, so a flow never imports from the processors folder.

/** Lives in core, below the jobs package's enqueue too; re-exported for the flows that import it from here. */
export { withTimeout } from "@shardcast/core";

/** Throws the signal's reason when it has been aborted (else `unavailable`, "<what> aborted"): call between steps of a job. */
export function checkAborted(signal: AbortSignal | undefined, what = "job"): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new ShardcastError("unavailable", `${what} aborted`);
}
