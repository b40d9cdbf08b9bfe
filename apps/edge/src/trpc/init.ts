import { initTRPC, TRPCError } from "@trpc/server";
import { isShardcastError, trpcCode } from "@shardcast/core";
import { redisUnavailable } from "@shardcast/runtime";
import type { ApiKeyAuth } from "../auth.ts";
import type { IngestService } from "../ingest.ts";
import type { QuotaService } from "../quota.ts";
import type { ReadService } from "../reads.ts";

export interface EdgeContext {
  authorization: string | undefined;
  auth: ApiKeyAuth;
  ingest: IngestService;
  reads: ReadService;
  quotas: QuotaService | undefined;
}

const t = initTRPC.context<EdgeContext>().create({
  // Never a server stack trace in an answer, whatever NODE_ENV says: it tells clients nothing they
  // can act on and tells attackers about the internals.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const { stack: _stack, ...data } = shape.data;
    return isShardcastError(cause)
      ? { ...shape, message: cause.message, data: { ...data, shardcast: cause.toJSON().error } }
      : { ...shape, data };
  },
});

export const router = t.router;

/** Wraps domain errors so tRPC reports the mapped code with the domain message and details. */
export const procedure = t.procedure.use(async ({ next }) => {
  const res = await next();
  if (res.ok) return res;
  const cause = redisUnavailable(res.error.cause) ?? res.error.cause;
  if (isShardcastError(cause)) throw new TRPCError({ code: trpcCode(cause.code), message: cause.message, cause });
  return res;
});
