/** Codes the edge answers with (`{"error":{"code",...}}`). */
export type EdgeErrorCode =
  | "bad_request"
  | "validation_failed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unauthenticated"
  | "rate_limited"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "fenced"
  | "unavailable"
  | "internal";

/**
 * Codes the SDK itself produces, always with `status` 0 (no HTTP answer, or none that applies):
 * `network_error` (connection refused or reset), `timeout` (no answer within `requestTimeoutMs`),
 * `invalid_response` (an answer the SDK cannot read), `invalid_event` (refused before sending),
 * `closed` (the producer or consumer was closed).
 */
export type ClientErrorCode = "network_error" | "timeout" | "invalid_response" | "invalid_event" | "closed";

// `string & {}` keeps editor completion for the known codes while accepting codes a newer edge adds.
export type ShardcastErrorCode = EdgeErrorCode | ClientErrorCode | (string & {});

export interface ShardcastClientErrorInit {
  status: number;
  code: ShardcastErrorCode;
  message: string;
  details?: Record<string, unknown> | undefined;
  /** Seconds or milliseconds the edge asked us to wait, already in milliseconds. */
  retryAfterMs?: number | undefined;
  stored?: boolean | undefined;
  eventId?: string | undefined;
  cause?: unknown;
}

/** An error answer of the edge, or a failure to get one. */
export class ShardcastClientError extends Error {
  /** HTTP status, or 0 when there was no usable answer. */
  readonly status: number;
  readonly code: ShardcastErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** How long the edge asked to wait before retrying (`Retry-After`), if it did. */
  readonly retryAfterMs: number | undefined;
  /**
   * Producer only: the edge reported this event stored (a `503` with `details.storedIndexes`)
   * before the retries ran out, so its position exists but is unknown to the SDK. Sending it again
   * with `id: err.eventId` answers that position.
   */
  readonly stored: boolean;
  /**
   * Producer only: the idempotency id the event went out with (the caller's, or the one the SDK
   * generated). An error without an answer may hide a stored event, so a caller's retry must send
   * this id again: without it the retry gets a new id and is stored a second time.
   */
  readonly eventId: string | undefined;

  constructor(init: ShardcastClientErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ShardcastClientError";
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.retryAfterMs = init.retryAfterMs;
    this.stored = init.stored ?? false;
    this.eventId = init.eventId;
  }

  /**
   * Whether sending the same request again may succeed: no answer, `429`, and any 5xx. A `500`
   * counts too: the edge answers it for failures it did not foresee, such as its control database
   * dropping a connection, which pass; giving up would end a consumer for good, and a producer's
   * resend is safe (ids). Any other 4xx says the request itself is wrong.
   */
  get retryable(): boolean {
    return this.code === "network_error" || this.code === "timeout" || this.status === 429 || this.status >= 500;
  }

  /** A copy that carries `stored`, for one event of a batch the edge partly stored. */
  withStored(stored: boolean): ShardcastClientError {
    return new ShardcastClientError({ ...this.init(), stored });
  }

  /** A copy that names the event it is the error of (one event's share of a batch's error). */
  forEvent(eventId: string): ShardcastClientError {
    return new ShardcastClientError({ ...this.init(), eventId });
  }

  /** A copy with another message and details (one event's share of a batch's error). */
  narrowed(message: string, details: Record<string, unknown>): ShardcastClientError {
    return new ShardcastClientError({ ...this.init(), message, details });
  }

  private init(): ShardcastClientErrorInit {
    return {
      status: this.status,
      code: this.code,
      message: this.message,
      details: this.details,
      retryAfterMs: this.retryAfterMs,
      stored: this.stored,
      eventId: this.eventId,
      cause: this.cause,
    };
  }
}

export function isShardcastClientError(err: unknown): err is ShardcastClientError {
  return err instanceof ShardcastClientError;
}

/** Anything thrown while talking to the edge, as a ShardcastClientError. */
export function asClientError(err: unknown): ShardcastClientError {
  if (err instanceof ShardcastClientError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ShardcastClientError({ status: 0, code: "network_error", message, cause: err });
}

/** A `400` naming a request field: an edge that does not know the field yet (the SDK then stops sending it). */
export function refusesField(err: ShardcastClientError, field: string): boolean {
  return err.status === 400 && `${err.message} ${JSON.stringify(err.details ?? {})}`.includes(field);
}

export function closedError(): ShardcastClientError {
  return new ShardcastClientError({ status: 0, code: "closed", message: "the consumer was stopped" });
}
