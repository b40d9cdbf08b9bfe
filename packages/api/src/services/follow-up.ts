import { isShardcastError, ShardcastError } from "@shardcast/core";

/**
 * Queues the worker's follow-up to a change that is already committed and audited. When the job
 * queue is unavailable the change still stands, so the 503 says what was done and what becomes of
 * the work instead of reading as "nothing happened" (a retry would then find the change made and
 * report nothing to do).
 */
export async function queueFollowUp<T>(queueIt: () => Promise<T>, done: string, fallback: string): Promise<T> {
  try {
    return await queueIt();
  } catch (err) {
    if (!isShardcastError(err) || err.code !== "unavailable") throw err;
    throw new ShardcastError("unavailable", `${done} The job queue is unavailable, so ${fallback}`, { committed: true }, { cause: err });
  }
}
