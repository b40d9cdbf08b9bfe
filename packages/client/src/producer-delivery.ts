import { asClientError, ShardcastClientError } from "./errors.ts";
import { call, errorFrom, retryDelay, sleep, type Backoff, type Endpoint } from "./http.ts";
import { ingestAnswerSchema, parseAnswer, type SendResult } from "./types.ts";

/** One queued event: serialized once, so every attempt sends the same bytes and the same id. */
export interface Item {
  /** The idempotency id it is sent with: the caller's, or the generated one. */
  id: string;
  json: string;
  /** UTF-8 bytes of `json`. */
  bytes: number;
  /** The SDK made up the id (the caller sent none). */
  generated: boolean;
  /** Order of arrival, for flush barriers. */
  no: number;
  /** When it was queued (ms), for the linger deadline. */
  at: number;
  /** A 503 reported it stored; its position is not known yet. */
  stored: boolean;
  resolve(result: SendResult): void;
  reject(err: ShardcastClientError): void;
}

export interface DeliveryContext {
  ep: Endpoint;
  route: string;
  backoff: Backoff;
  maxRetries: number;
}

/** `{"events":[...]}` from the items' pre-serialized JSON. */
export function batchBody(items: readonly Item[]): string {
  return `{"events":[${items.map((i) => i.json).join(",")}]}`;
}

/** Bytes of the envelope around the events: `{"events":[` and `]}`. */
export const ENVELOPE_BYTES = 13;

/**
 * Sends one batch until every item is settled.
 *
 * A `503` with `details.storedIndexes` means some events are stored, but the answer carries no
 * positions for them. The resend is the whole batch, not only the unstored rest: every event has
 * an id (the caller's or one generated before the first attempt), so the edge stores the rest once
 * and answers the stored ones as duplicates with their original `seq`. Sending only the rest would
 * leave the stored ones' promises without a position, and a second request for them would cost
 * the same bytes plus a round trip; a producer key may also lack the `consume` right needed to
 * look them up. Positions never change once stored, so the stored ones keep theirs and the rest
 * get later ones: order per key holds (one key's events are stored on one host in one statement),
 * order across keys only outside such a partial store.
 */
export async function deliver(ctx: DeliveryContext, items: Item[]): Promise<void> {
  let remaining = items;
  let attempt = 0;
  while (remaining.length > 0) {
    let err: ShardcastClientError;
    try {
      const answer = await call(ctx.ep, "POST", ctx.route, batchBody(remaining));
      if (answer.status >= 200 && answer.status < 300) {
        settle(remaining, answer.body);
        return;
      }
      err = errorFrom(answer);
    } catch (thrown) {
      err = asClientError(thrown);
    }

    // The edge refuses a batch whole for one bad event. The batch is the SDK's choice, not the
    // caller's, so the bad events fail alone and the good ones go again (nothing of it was stored).
    const bad = rejectedIndexes(err, remaining.length);
    if (bad) {
      for (const [index, reason] of bad) {
        remaining[index]?.reject(err.narrowed(`event refused: ${reason.path ? `${reason.path}: ` : ""}${reason.message}`, { path: reason.path, message: reason.message }));
      }
      remaining = remaining.filter((_, i) => !bad.has(i));
      continue;
    }
    // Too big as a whole (body size, events per batch, or more than a second's quota): halves are
    // sent one after the other, keeping the order, down to single events, which fail on their own.
    if (err.status === 413 && remaining.length > 1) {
      const half = Math.ceil(remaining.length / 2);
      await deliver(ctx, remaining.slice(0, half));
      await deliver(ctx, remaining.slice(half));
      return;
    }
    markStored(err, remaining);
    if (!err.retryable || attempt >= ctx.maxRetries) {
      for (const item of remaining) item.reject(item.stored ? err.withStored(true) : err);
      return;
    }
    await sleep(retryDelay(attempt, ctx.backoff, err));
    attempt++;
  }
}

function settle(items: Item[], body: unknown): void {
  let answer;
  try {
    answer = parseAnswer(ingestAnswerSchema, body, "ingest");
    if (answer.events.length !== items.length) {
      const message = `unexpected ingest answer from the edge: ${answer.events.length} positions for ${items.length} events`;
      throw new ShardcastClientError({ status: 0, code: "invalid_response", message });
    }
  } catch (thrown) {
    const err = asClientError(thrown);
    for (const item of items) item.reject(err);
    return;
  }
  answer.events.forEach((r, i) => {
    const item = items[i]!;
    // A generated id is unique to this event, so the only copy the edge can already hold is one
    // an earlier attempt of this very send stored: for the caller it is not a duplicate.
    item.resolve({ id: item.id, seq: r.seq, shardletId: r.shardletId, duplicate: r.duplicate && !item.generated });
  });
}

interface RejectedItem {
  index: number;
  path: string;
  message: string;
}

/** The refused events of a `400 validation_failed`, when they are a usable proper subset. */
function rejectedIndexes(err: ShardcastClientError, count: number): Map<number, RejectedItem> | null {
  if (err.status !== 400 || err.code !== "validation_failed") return null;
  const list = err.details?.rejected;
  if (!Array.isArray(list) || list.length === 0) return null;
  const out = new Map<number, RejectedItem>();
  for (const entry of list as unknown[]) {
    if (typeof entry !== "object" || entry === null) return null;
    const { index, path, message } = entry as Record<string, unknown>;
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count) return null;
    out.set(index, { index, path: typeof path === "string" ? path : "", message: typeof message === "string" ? message : "invalid" });
  }
  return out;
}

function markStored(err: ShardcastClientError, items: Item[]): void {
  const stored = err.details?.storedIndexes;
  if (!Array.isArray(stored)) return;
  for (const index of stored as unknown[]) {
    if (typeof index === "number") {
      const item = items[index];
      if (item) item.stored = true;
    }
  }
}
