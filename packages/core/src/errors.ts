/**
 * The one error type of Shardcast. Every layer throws `ShardcastError` with a code from a closed
 * set; HTTP and tRPC status mapping happens only in `errorStatus` / `trpcCode` below, so a new code
 * cannot be added without deciding how it surfaces.
 */
export const ERROR_CODES = [
  "bad_request",
  "validation_failed",
  "payload_too_large",
  "unsupported_media_type",
  "unauthenticated",
  "rate_limited",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "fenced",
  "unavailable",
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface RejectedItem {
  /** Index of the rejected item in the request batch. */
  index: number;
  /** Dotted path of the offending field, e.g. `payload` or `key`. */
  path: string;
  message: string;
}

export interface ErrorDetails {
  rejected?: RejectedItem[];
  [extra: string]: unknown;
}

export class ShardcastError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ShardcastError";
    this.code = code;
    this.details = details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: ErrorDetails } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function isShardcastError(err: unknown): err is ShardcastError {
  return err instanceof ShardcastError;
}

export function assertNever(value: never, what = "value"): never {
  throw new ShardcastError("internal", `unexpected ${what}: ${JSON.stringify(value)}`);
}

/** HTTP status for an error code (REST edge and Next route handlers). */
export function errorStatus(code: ErrorCode): number {
  switch (code) {
    case "bad_request":
    case "validation_failed":
      return 400;
    case "unauthenticated":
      return 401;
    case "rate_limited":
      return 429;
    case "forbidden":
      return 403;
    case "not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    case "conflict":
    case "fenced":
      return 409;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "unavailable":
      return 503;
    case "internal":
      return 500;
    default:
      return assertNever(code, "error code");
  }
}

export type TrpcErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_SUPPORTED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR";

/** tRPC error code for an error code (console API and the edge's tRPC ingest). */
export function trpcCode(code: ErrorCode): TrpcErrorCode {
  switch (code) {
    case "bad_request":
    case "validation_failed":
      return "BAD_REQUEST";
    case "unauthenticated":
      return "UNAUTHORIZED";
    case "rate_limited":
      return "TOO_MANY_REQUESTS";
    case "forbidden":
      return "FORBIDDEN";
    case "not_found":
      return "NOT_FOUND";
    case "method_not_allowed":
      return "METHOD_NOT_SUPPORTED";
    case "conflict":
    case "fenced":
      return "CONFLICT";
    case "payload_too_large":
      return "PAYLOAD_TOO_LARGE";
    case "unsupported_media_type":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "unavailable":
      return "SERVICE_UNAVAILABLE";
    case "internal":
      return "INTERNAL_SERVER_ERROR";
    default:
      return assertNever(code, "error code");
  }
}

/**
 * What an outage of a dependency (the control database, a storage host, Redis) tells a client to
 * wait before it retries: a restart or a failover takes seconds, and a 503 without it leaves each
 * client to guess (many retry at once, which a recovering server serves worst).
 */
export const OUTAGE_RETRY_AFTER_MS = 2_000;

/**
 * The `Retry-After` value (whole seconds, rounded up, at least 1) of a `rate_limited` (429) or
 * `unavailable` (503) error that says when to retry; undefined for every other error. One rule for
 * the REST and tRPC answers.
 */
export function retryAfterSeconds(err: ShardcastError): number | undefined {
  const ms = err.code === "rate_limited" || err.code === "unavailable" ? err.details?.retryAfterMs : undefined;
  return typeof ms === "number" && Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}

/** `Retry-After` for the first error in a tRPC answer that carries one (the cause is the ShardcastError). */
export function retryAfterHeader(errors: ReadonlyArray<{ cause?: unknown }>): Record<string, string> {
  for (const e of errors) {
    if (isShardcastError(e.cause)) {
      const seconds = retryAfterSeconds(e.cause);
      if (seconds !== undefined) return { "retry-after": String(seconds) };
    }
  }
  return {};
}
