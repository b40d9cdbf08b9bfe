import { initTRPC, TRPCError } from "@trpc/server";
import { isShardcastError, trpcCode } from "@shardcast/core";
import { redisUnavailable } from "@shardcast/runtime";
import type { ApiKeyAuth } from "../auth.ts";
import type { IngestService } from "../ingest.ts";
import type { ReadService } from "../reads.ts";

export interface EdgeContext {
  authorization: string | undefined;
  auth: ApiKeyAuth;
  ingest: IngestService;
  reads: ReadService;
}

const t = initTRPC.context<EdgeContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return isShardcastError(cause)
      ? { ...shape, message: cause.message, data: { ...shape.data, shardcast: cause.toJSON().error } }
      : shape;
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
