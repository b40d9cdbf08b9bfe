import { ShardcastClientError, type ShardcastErrorCode } from "./errors.ts";

/**
 * The part of `fetch` the SDK uses. Narrower than `typeof fetch` so a wrapper (counting,
 * tracing, a proxy agent) is a one-line function; the global `fetch` fits it.
 */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface Endpoint {
  /** The edge's base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  apiKey: string;
  fetch: FetchLike;
  requestTimeoutMs: number;
}

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the raw text when it is not JSON (a proxy's error page). */
  body: unknown;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export function endpoint(opts: { url: string; apiKey: string; fetch?: FetchLike | undefined; requestTimeoutMs?: number | undefined }): Endpoint {
  if (!opts.url) throw new TypeError("url is required");
  if (!opts.apiKey) throw new TypeError("apiKey is required");
  // fetch quotes a header value it cannot send in its error ("Bearer <key>" is an invalid header
  // value), which would put the key into every error and log line, each retry included. Refused
  // here instead, without echoing it. Surrounding whitespace (a key read from a file) is what fetch
  // strips anyway.
  const apiKey = opts.apiKey.trim();
  if (!/^[\x21-\x7e]+$/.test(apiKey)) throw new TypeError("apiKey must be printable ASCII without spaces or control characters");
  return {
    url: opts.url.replace(/\/+$/, ""),
    apiKey,
    // Looked up at call time, not bound at construction, so a test or APM tool that replaces the
    // global later is still used.
    fetch: opts.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/** `/v1/streams/{a}/...`: every dynamic segment percent-encoded. */
export function path(...segments: string[]): string {
  return "/" + segments.map((s) => encodeURIComponent(s)).join("/");
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Overrides the endpoint's `requestTimeoutMs` for this request. */
  timeoutMs?: number | undefined;
}

/**
 * One request. Resolves with any HTTP answer (the caller decides what a status means) and
 * throws a ShardcastClientError only when there is none: `network_error` or `timeout`.
 */
export async function call(ep: Endpoint, method: string, route: string, body?: string, opts: CallOptions = {}): Promise<Answer> {
  const { signal } = opts;
  const timeoutMs = opts.timeoutMs ?? ep.requestTimeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { authorization: `Bearer ${ep.apiKey}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await ep.fetch(ep.url + route, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (err) {
    if (timedOut(timeout, signal)) throw timeoutError(ep, timeoutMs, err);
    throw new ShardcastClientError({ status: 0, code: "network_error", message: `request to ${ep.url} failed: ${describe(err)}`, cause: err });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    // The timeout covers the body too: an answer whose body stalls is a timeout, not a cut-off.
    if (timedOut(timeout, signal)) throw timeoutError(ep, timeoutMs, err);
    throw new ShardcastClientError({ status: 0, code: "network_error", message: `answer from ${ep.url} was cut off: ${describe(err)}`, cause: err });
  }
  let parsed: unknown = text;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // Not JSON: kept as text, so the error built from it can quote it.
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

function timedOut(timeout: AbortSignal, signal: AbortSignal | undefined): boolean {
  return timeout.aborted && !signal?.aborted;
}

function timeoutError(ep: Endpoint, timeoutMs: number, cause: unknown): ShardcastClientError {
  return new ShardcastClientError({ status: 0, code: "timeout", message: `no answer from ${ep.url} within ${timeoutMs} ms`, cause });
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici hides the useful part ("ECONNREFUSED ...") in the cause.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return err.message + cause;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const FALLBACK_CODES: Record<number, ShardcastErrorCode> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "unavailable",
};

/** The error an answer with a non-2xx status stands for. */
export function errorFrom(answer: Answer): ShardcastClientError {
  const error = isRecord(answer.body) && isRecord(answer.body.error) ? answer.body.error : undefined;
  const code = typeof error?.code === "string" ? error.code : (FALLBACK_CODES[answer.status] ?? (answer.status >= 500 ? "unavailable" : "bad_request"));
  const message =
    typeof error?.message === "string"
      ? error.message
      : `HTTP ${answer.status}${typeof answer.body === "string" && answer.body ? `: ${answer.body.slice(0, 200)}` : ""}`;
  const details = isRecord(error?.details) ? error.details : undefined;
  return new ShardcastClientError({ status: answer.status, code, message, details, retryAfterMs: retryAfterMs(answer, details) });
}

/**
 * The wait the edge asked for. The `Retry-After` header is the HTTP contract (whole seconds,
 * rounded up by the edge); `details.retryAfterMs` is only used when the header is missing, since
 * waiting the shorter time would land in the same quota window again.
 */
function retryAfterMs(answer: Answer, details: Record<string, unknown> | undefined): number | undefined {
  const header = answer.headers.get("retry-after");
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  const ms = details?.retryAfterMs;
  return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with jitter (half fixed, half random, so concurrent clients spread out
 * without a retry ever coming almost at once), and never sooner than the edge's `Retry-After`.
 */
export function retryDelay(attempt: number, backoff: Backoff, err?: ShardcastClientError): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  const asked = err?.retryAfterMs;
  // A little spread on top of the asked wait too: many producers refused in one quota window
  // would otherwise all come back at the same instant.
  return asked === undefined ? jittered : asked + Math.random() * Math.min(backoff.baseMs, 100);
}

/** Resolves after `ms`, or at once (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
