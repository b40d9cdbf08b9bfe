import type { ShardcastError } from "@shardcast/core";
import { getSessionUser, storageUnavailable, type ControlDb } from "@shardcast/db";
import { outages, redisUnavailable, type Logger } from "@shardcast/runtime";
import { toTrpcError } from "@shardcast/runtime/trpc-error";
import type { SessionUser } from "./context.ts";

/**
 * A failure that says a dependency did not answer (PostgreSQL restarting, Redis failing over), as
 * the `unavailable` error to answer with (503 with Retry-After: the same call may succeed soon),
 * with the dependency's name for the outage log; null for any other failure.
 */
export function dependencyOutage(err: unknown, what?: string): { dependency: string; error: ShardcastError } | null {
  const redis = redisUnavailable(err);
  if (redis) return { dependency: "Redis", error: redis };
  const pg = storageUnavailable(err, what);
  return pg ? { dependency: "PostgreSQL", error: pg } : null;
}

/** The 503 to answer a dependency's outage with (logged once per outage), or null when `err` is none. */
export function outageAnswer(log: Logger, err: unknown, what?: string): ShardcastError | null {
  const outage = dependencyOutage(err, what);
  if (!outage) return null;
  outages.failed(log, outage.dependency, err);
  return outage.error;
}

/**
 * The signed-in user of a request, looked up before its procedure runs (the request's context):
 * a failure here would otherwise reach tRPC as an anonymous 500, logged nowhere. A database that
 * does not answer is a 503 with Retry-After; any other failure is logged and stays a 500.
 */
export async function sessionUserFor(db: ControlDb, token: string | null | undefined, log: Logger): Promise<SessionUser | null> {
  if (!token) return null;
  try {
    return await getSessionUser(db, token);
  } catch (err) {
    const answer = outageAnswer(log, err, "the session lookup");
    if (answer) throw toTrpcError(answer);
    log.error("session lookup failed", { error: err });
    throw err;
  }
}
