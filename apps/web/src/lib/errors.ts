import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@shardcast/api";

interface Rejected {
  path: string;
  message: string;
}

function rejectedOf(err: unknown): Rejected[] {
  if (!(err instanceof TRPCClientError)) return [];
  return (err as TRPCClientError<AppRouter>).data?.details?.rejected ?? [];
}

/** The server puts "path: " before each input issue; next to its field, or with a label, that is noise. */
function bare(r: Rejected): string {
  return r.path && r.message.startsWith(`${r.path}: `) ? r.message.slice(r.path.length + 2) : r.message;
}

/** Whether a message already says which field it is about: "name is longer than…" for `name`, "capacity must…" for `capacityBytes`. */
function namesField(message: string, path: string): boolean {
  const last = path.split(".").pop() ?? "";
  const first = last.split(/(?=[A-Z])/)[0]?.toLowerCase() ?? "";
  return first.length > 1 && new RegExp(`\\b${first.replace(/[^a-z0-9]/g, "")}\\b`, "i").test(message);
}

/**
 * The message the API chose for an error (already safe to show), or a fallback. A message the
 * server joined from input issues is rebuilt from them: one message per field (zod can fail a
 * number twice, e.g. "whole number" and "too big" for 1e30), named by `labels` (keyed by the
 * path's last segment) when given, and without the raw path when the message already names the
 * field. A message the server wrote itself is kept as it is.
 */
export function errorMessage(err: unknown, labels: Readonly<Record<string, string>> = {}): string {
  const rejected = rejectedOf(err);
  if (rejected.length > 0 && err instanceof Error && err.message === rejected.map((r) => r.message).join("; ")) {
    const byPath = new Map<string, string>();
    for (const r of rejected) {
      if (byPath.has(r.path)) continue;
      const message = bare(r);
      const label = labels[r.path.split(".").pop() ?? ""];
      const keepPath = message !== r.message && !namesField(message, r.path);
      byPath.set(r.path, label ? `${label}: ${message}` : keepPath ? r.message : message);
    }
    return [...new Set(byPath.values())].join("; ");
  }
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

/** Per-field messages of an input error (`details.rejected[].path` -> message), for form fields: the first one per field, without its path. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rejectedOf(err)) {
    const field = r.path.split(".")[0] ?? "";
    if (field && !(field in out)) out[field] = bare(r).replace(/^[\w.]+: /, "");
  }
  return out;
}
