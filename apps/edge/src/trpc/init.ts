import { initTRPC, TRPCError } from "@trpc/server";
import { isShardcastError, trpcCode } from "@shardcast/core";
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
  if (!res.ok && isShardcastError(res.error.cause)) {
    throw new TRPCError({ code: trpcCode(res.error.cause.code), message: res.error.cause.message, cause: res.error.cause });
  }
  return res;
});
