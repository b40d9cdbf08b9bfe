import { TRPCError } from "@trpc/server";
import { trpcCode, type ShardcastError } from "@shardcast/core";

/**
 * The one way a `ShardcastError` becomes a `TRPCError` (console API and the edge's tRPC ingest):
 * the code from core's `trpcCode` mapping, the domain message, and the error itself as the cause
 * (the error formatters read its code and details from there).
 */
export function toTrpcError(err: ShardcastError): TRPCError {
  return new TRPCError({ code: trpcCode(err.code), message: err.message, cause: err });
}
