import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@shardcast/api";

/** The message the API chose for an error (already safe to show), or a fallback. */
export function errorMessage(err: unknown): string {
  if (err instanceof TRPCClientError) {
    return err.message || "Request failed.";
  }
  if (err instanceof Error) return err.message;
  return "Request failed.";
}

/** Client errors (4xx) will not change by asking again; network and server errors might. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof TRPCClientError)) return true;
  const status = (err as TRPCClientError<AppRouter>).data?.httpStatus;
  return status === undefined || status >= 500;
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof TRPCClientError && (err as TRPCClientError<AppRouter>).data?.httpStatus === 401;
}

/** Per-field messages of an input error (`details.rejected[].path` -> message), for form fields. */
export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof TRPCClientError)) return {};
  const details = (err as TRPCClientError<AppRouter>).data?.details;
  const out: Record<string, string> = {};
  for (const r of details?.rejected ?? []) {
    const field = r.path.split(".")[0] ?? "";
    if (field && !(field in out)) out[field] = r.message.replace(/^[\w.]+: /, "");
  }
  return out;
}
