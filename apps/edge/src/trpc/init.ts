import { initTRPC, type TRPCError } from "@trpc/server";
import { z } from "zod";
import { isShardcastError, ShardcastError, type ErrorCode } from "@shardcast/core";
import { redisUnavailable } from "@shardcast/runtime";
import { toTrpcError } from "@shardcast/runtime/trpc-error";
import type { ApiKeyAuth, KeyGrant } from "../auth.ts";
import type { IngestService } from "../ingest.ts";
import type { QuotaService } from "../quota.ts";
import type { ReadService } from "../reads.ts";
import { issuesError, zodIssues } from "../zod-issues.ts";

export interface EdgeContext {
  /** The request's key, authenticated before its body was read; scope is checked once the stream is known. */
  grant: KeyGrant;
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
    const { stack: _stack, ...data } = shape.data;
    const domain = isShardcastError(error.cause) ? error.cause : fromTrpcError(error);
    return { ...shape, message: domain.message, data: { ...data, shardcast: domain.toJSON().error } };
  },
});

/** What tRPC refuses on its own (body, JSON, input), as the REST answers name it. */
const TRPC_REFUSALS: Partial<Record<TRPCError["code"], ErrorCode>> = {
  PARSE_ERROR: "bad_request",
  BAD_REQUEST: "bad_request",
  METHOD_NOT_SUPPORTED: "method_not_allowed",
  NOT_FOUND: "not_found",
  PAYLOAD_TOO_LARGE: "payload_too_large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
};

/**
 * An error tRPC raised itself, so every answer carries `data.shardcast` as documented. Anything
 * else is `internal` without its message, which may describe the internals (the edge logs it).
 */
function fromTrpcError(error: TRPCError): ShardcastError {
  const code = TRPC_REFUSALS[error.code];
  if (!code) return new ShardcastError("internal", "internal error");
  return error.cause instanceof z.ZodError ? issuesError(code, "invalid input: ", zodIssues(error.cause), "malformed") : new ShardcastError(code, error.message);
}

export const router = t.router;

/** Wraps domain errors so tRPC reports the mapped code with the domain message and details. */
export const procedure = t.procedure.use(async ({ next }) => {
  const res = await next();
  if (res.ok) return res;
  const cause = redisUnavailable(res.error.cause) ?? res.error.cause;
  if (isShardcastError(cause)) throw toTrpcError(cause);
  return res;
});
