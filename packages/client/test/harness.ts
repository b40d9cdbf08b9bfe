import type { FetchLike } from "../src/index.ts";

// The edge's own harness: a real edge over scratch PostgreSQL databases (a control database and
// three storage hosts) and a fresh Redis prefix.
export { get, startHarness, totalRows, type Harness } from "@shardcast/edge/test/harness.ts";

export interface Exchange {
  method: string;
  url: string;
  requestBody: string;
  /** Request body bytes. */
  bytes: number;
  /** How many events the request body carried (for POSTs of `{"events": [...]}`). */
  events: number;
  startedAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when the request failed without an answer. */
  status: number;
  retryAfter: string | null;
  body: unknown;
}

/**
 * The real `fetch`, recording each exchange. `after` runs once an answer is in, before the SDK
 * sees it (tests use it to change the world between attempts, e.g. heal a storage host).
 */
export function recordingFetch(after?: (x: Exchange) => Promise<void> | void): { fetch: FetchLike; log: Exchange[] } {
  const log: Exchange[] = [];
  const wrapped: FetchLike = async (url, init) => {
    const text = typeof init.body === "string" ? init.body : "";
    const x: Exchange = {
      method: init.method ?? "GET",
      url,
      requestBody: text,
      bytes: Buffer.byteLength(text),
      events: countEvents(text),
      startedAt: Date.now(),
      answeredAt: 0,
      status: 0,
      retryAfter: null,
      body: null,
    };
    log.push(x);
    const res = await fetch(url, init);
    x.answeredAt = Date.now();
    x.status = res.status;
    x.retryAfter = res.headers.get("retry-after");
    x.body = await res.clone().json().catch(() => null);
    await after?.(x);
    return res;
  };
  return { fetch: wrapped, log };
}

function countEvents(text: string): number {
  if (!text.startsWith('{"events":')) return 0;
  const parsed = JSON.parse(text) as { events: unknown[] };
  return parsed.events.length;
}
