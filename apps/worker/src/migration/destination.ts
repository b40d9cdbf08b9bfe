import { ShardcastError } from "@shardcast/core";
import { hostRefusal, type HostDriver } from "@shardcast/db";
import { checkAborted, withTimeout } from "../domain/abort.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { isTransientHostError, withHostRetry, type DestinationProblem, type MigrationContext } from "./context.ts";

/**
 * The destination when a migration may have to be given up without it. Until the mapping switches,
 * the source holds every acknowledged event (a shadow write follows its source's commit, the
 * overflow log drains into the source), so a destination that is gone, or unreachable while the
 * migration is given up, costs only its partial copy, which is left for later (leftover.ts). From
 * the switch on the destination alone holds the shardlet's new events: nothing is given up then.
 */

const DEFAULT_DESTINATION_TIMEOUT_MS = 30_000;

export function destination(ctx: MigrationContext): HostDriver {
  if (ctx.dest) return ctx.dest;
  throw new ShardcastError("not_found", `the destination host ${ctx.m.destHostId} is no longer registered`, { destinationGone: true });
}

/** Whether `err` says a host cannot be reached, now or for good; null for any other failure. */
export function unreachable(err: unknown): DestinationProblem | null {
  if (err instanceof ShardcastError && err.details?.destinationGone === true) return { reason: "is no longer registered", permanent: true };
  const refusal = hostRefusal(err);
  if (refusal === "no_database") return { reason: `is gone: its database no longer exists (${probeErrorMessage(err)})`, permanent: true };
  if (refusal !== null) return { reason: `refuses connections (${probeErrorMessage(err)})`, permanent: false };
  if (isTransientHostError(err)) return { reason: `is unreachable (${probeErrorMessage(err)})`, permanent: false };
  return null;
}

/**
 * A destination operation (idempotent) with the usual retries, bounded in time as a whole: past
 * `destinationTimeoutMs` it fails as `unavailable` and its retries stop.
 */
export async function withDestination<T>(ctx: MigrationContext, what: string, fn: (dest: HostDriver) => Promise<T>): Promise<T> {
  const dest = destination(ctx);
  const stop = new AbortController();
  const bounded: MigrationContext = { ...ctx, signal: AbortSignal.any([ctx.signal, stop.signal]) };
  const ms = ctx.deps.migration?.destinationTimeoutMs ?? DEFAULT_DESTINATION_TIMEOUT_MS;
  try {
    return await withTimeout(withHostRetry(bounded, what, () => fn(dest)), ms, what);
  } finally {
    stop.abort();
  }
}

/**
 * What `fn` returns, or why the destination could not be reached while it ran; any other failure
 * (and an abort) is thrown. The callers give a migration up, or leave its copy for later, on the
 * problem, so "unreachable" must not swallow a bug.
 */
export async function orUnreachable<T>(ctx: MigrationContext, fn: () => Promise<T>): Promise<T | DestinationProblem> {
  try {
    return await fn();
  } catch (err) {
    checkAborted(ctx.signal);
    const problem = unreachable(err);
    if (!problem) throw err;
    return problem;
  }
}

/** Null when the destination answers (within the bound), else why it does not. */
export async function probeDestination(ctx: MigrationContext): Promise<DestinationProblem | null> {
  return orUnreachable(ctx, async () => {
    await withDestination(ctx, "destination probe", (d) => d.ping());
    return null;
  });
}
