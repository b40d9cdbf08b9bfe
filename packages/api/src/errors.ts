import type { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { isShardcastError, redactSecrets, type ErrorCode, type ErrorDetails } from "@shardcast/core";

export const GENERIC_INTERNAL_MESSAGE = "Something went wrong on the server; the error was logged.";

/** What the console reads from `error.data` besides tRPC's own fields. */
export interface ShardcastErrorData {
  /** Shardcast error code when the failure came from a domain function. */
  scCode: ErrorCode | null;
  details: ErrorDetails | null;
}

export interface FormattedError {
  message: string;
  data: ShardcastErrorData;
  /** True when the error is unexpected and must be logged in full. */
  unexpected: boolean;
}

function zodMessage(err: ZodError): { message: string; details: ErrorDetails } {
  const rejected = err.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    return { index: 0, path, message: path ? `${path}: ${issue.message}` : issue.message };
  });
  return { message: rejected.map((r) => r.message).join("; "), details: { rejected } };
}

/**
 * Decides what a client may learn about an error: domain errors keep their message and details,
 * input errors list each field, anything else becomes a generic message (the original is logged).
 */
export function formatError(error: TRPCError): FormattedError {
  const cause = error.cause;
  if (isShardcastError(cause)) {
    return {
      message: redactSecrets(cause.message),
      data: { scCode: cause.code, details: cause.details ?? null },
      unexpected: false,
    };
  }
  // Output validation also fails with a ZodError, but as an internal error: only input is the caller's fault.
  if (cause instanceof ZodError && error.code === "BAD_REQUEST") {
    const { message, details } = zodMessage(cause);
    return { message, data: { scCode: "validation_failed", details }, unexpected: false };
  }
  if (error.code === "INTERNAL_SERVER_ERROR") {
    return { message: GENERIC_INTERNAL_MESSAGE, data: { scCode: "internal", details: null }, unexpected: true };
  }
  return { message: redactSecrets(error.message), data: { scCode: null, details: null }, unexpected: false };
}
