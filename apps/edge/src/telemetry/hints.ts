import { z } from "zod";
import { HASH_SPACE, keyHash, parseTimestamp, ShardcastError, storableString, streamNameSchema } from "@shardcast/core";
import type { LoadHint, LoadHintInput } from "@shardcast/db";
import { issuesError, zodIssues, type InputIssue } from "../zod-issues.ts";

const DAY_MS = 86_400_000;
/** Longest hint window. */
export const MAX_HINT_WINDOW_MS = 7 * DAY_MS;
/** How far ahead a hint may start. */
export const MAX_HINT_LEAD_MS = 30 * DAY_MS;
/** Highest hinted rate (events/s). */
export const MAX_HINT_RATE = 10_000_000;
/** Most keys in one hint's key list. */
export const MAX_HINT_KEYS = 1000;
/** Most active hints per stream by default: two of the longest key lists (a row per key). */
export const DEFAULT_ACTIVE_HINTS_PER_STREAM = 2 * MAX_HINT_KEYS;

const time = z.unknown().transform((v, ctx) => {
  const ms = parseTimestamp(v);
  if (typeof ms === "string") {
    ctx.addIssue({ code: "custom", message: ms });
    return z.NEVER;
  }
  return ms;
}).meta({
  description: "Epoch milliseconds or an ISO-8601 date-time with an offset (2026-01-31T09:30:00Z).",
  // The transform makes the schema opaque to JSON Schema; the published form says what it takes.
  override: { anyOf: [{ type: "integer", minimum: 0 }, { type: "string", format: "date-time" }] },
});

export function hintSchema(maxKeyLength: number) {
  // Keys are only hashed, but one PostgreSQL could not store is a key no event can have.
  const key = storableString.min(1).max(maxKeyLength);
  return z.strictObject({
    stream: streamNameSchema,
    lo: z.number().int().min(0).max(HASH_SPACE - 1).optional(),
    hi: z.number().int().min(1).max(HASH_SPACE).optional(),
    keyFrom: key.optional(),
    keyTo: key.optional(),
    keys: z.array(key).min(1).max(MAX_HINT_KEYS).optional(),
    eventsPerSec: z.number().positive().max(MAX_HINT_RATE),
    startsAt: time,
    endsAt: time,
    note: storableString.max(500).optional(),
  });
}

export type HintRequest = z.infer<ReturnType<typeof hintSchema>>;

export interface ParsedHint {
  stream: string;
  /** Rows to store (one per range; a key list gives one per distinct key hash). */
  ranges: Array<{ lo: number; hi: number; eventsPerSec: number }>;
  startsAt: number;
  endsAt: number;
  note: string | null;
}

function invalid(issues: InputIssue[]): ShardcastError {
  return issuesError("validation_failed", "", issues, "invalid hint");
}

/**
 * Validates a hint request. The key range is given one of three ways: `lo`/`hi` (a key-hash range
 * [lo, hi)); `keyFrom`/`keyTo` (the hash range between the two keys' hashes, both included: hash
 * order, not alphabetical order); or `keys` (the rate is shared evenly by the listed keys, one
 * single-hash range each).
 */
export function parseHintRequest(body: unknown, opts: { now: number; maxKeyLength: number }): ParsedHint {
  const parsed = hintSchema(opts.maxKeyLength).safeParse(body);
  if (!parsed.success) {
    throw invalid(zodIssues(parsed.error));
  }
  const h = parsed.data;
  const forms = [h.lo !== undefined || h.hi !== undefined, h.keyFrom !== undefined || h.keyTo !== undefined, h.keys !== undefined].filter(Boolean).length;
  if (forms !== 1) throw invalid([{ path: "", message: "give exactly one of lo/hi, keyFrom/keyTo or keys" }]);
  let ranges: ParsedHint["ranges"];
  if (h.keys) {
    const perHash = new Map<number, number>();
    for (const k of h.keys) {
      const hash = keyHash(k);
      perHash.set(hash, (perHash.get(hash) ?? 0) + 1);
    }
    ranges = [...perHash].sort((a, b) => a[0] - b[0]).map(([hash, n]) => ({ lo: hash, hi: hash + 1, eventsPerSec: (h.eventsPerSec * n) / h.keys!.length }));
  } else if (h.keyFrom !== undefined || h.keyTo !== undefined) {
    if (h.keyFrom === undefined || h.keyTo === undefined) throw invalid([{ path: h.keyFrom === undefined ? "keyFrom" : "keyTo", message: "keyFrom and keyTo go together" }]);
    const a = keyHash(h.keyFrom);
    const b = keyHash(h.keyTo);
    ranges = [{ lo: Math.min(a, b), hi: Math.max(a, b) + 1, eventsPerSec: h.eventsPerSec }];
  } else {
    if (h.lo === undefined || h.hi === undefined) throw invalid([{ path: h.lo === undefined ? "lo" : "hi", message: "lo and hi go together" }]);
    if (h.hi <= h.lo) throw invalid([{ path: "hi", message: "hi must be greater than lo" }]);
    ranges = [{ lo: h.lo, hi: h.hi, eventsPerSec: h.eventsPerSec }];
  }
  if (h.endsAt <= h.startsAt) throw invalid([{ path: "endsAt", message: "endsAt must be after startsAt" }]);
  if (h.endsAt - h.startsAt > MAX_HINT_WINDOW_MS) throw invalid([{ path: "endsAt", message: "a hint window may last at most 7 days" }]);
  if (h.endsAt <= opts.now) throw invalid([{ path: "endsAt", message: "the hint window has already ended" }]);
  if (h.startsAt > opts.now + MAX_HINT_LEAD_MS) throw invalid([{ path: "startsAt", message: "a hint may start at most 30 days ahead" }]);
  return { stream: h.stream, ranges, startsAt: h.startsAt, endsAt: h.endsAt, note: h.note ?? null };
}

export function hintView(h: LoadHint) {
  return {
    id: h.id,
    lo: h.lo,
    hi: h.hi,
    eventsPerSec: h.eventsPerSec,
    startsAt: new Date(h.startsAt).toISOString(),
    endsAt: new Date(h.endsAt).toISOString(),
    note: h.note,
  };
}

export interface HintStore {
  streamId(name: string): Promise<string | null>;
  /** Stores every hint or none; refuses (`conflict`) those that would take a stream past `cap` active hints. */
  insert(hints: LoadHintInput[], cap: { maxActivePerStream: number; atMs: number }): Promise<LoadHint[]>;
  listActive(streamId: string, atMs: number): Promise<LoadHint[]>;
}

/** What a hint request may do with the key that sent it. */
export interface HintAccess {
  /** The key, if it may produce to `stream` (else throws `forbidden`). */
  permit(stream: string): { id: string };
  /** Charges the rows a request would store to the key's quota (throws when it is over). */
  charge(rows: number): Promise<void>;
  /** Gives back what `charge` took for a request that then stored nothing. */
  refund(rows: number): void;
}

/** `POST /v1/hints` and `GET /v1/hints?stream=`: producers announce expected load ahead of time. */
export class HintService {
  constructor(
    private readonly deps: { store: HintStore; maxKeyLength: number; maxActivePerStream: number; clock?: () => number },
  ) {}

  /** Validates, authorizes (the key must produce to the stream), charges, then stores every range or none. */
  async create(body: unknown, access: HintAccess) {
    const now = (this.deps.clock ?? Date.now)();
    const hint = parseHintRequest(body, { now, maxKeyLength: this.deps.maxKeyLength });
    const keyId = access.permit(hint.stream).id;
    const streamId = await this.deps.store.streamId(hint.stream);
    if (!streamId) throw new ShardcastError("not_found", `unknown stream "${hint.stream}"`);
    // Charged before the insert, so concurrent requests cannot together pass the quota; a request
    // the store refuses (the stream's cap) stored nothing and gets its charge back.
    await access.charge(hint.ranges.length);
    let stored: LoadHint[];
    try {
      stored = await this.deps.store.insert(
        hint.ranges.map((r) => ({ streamId, ...r, startsAt: hint.startsAt, endsAt: hint.endsAt, apiKeyId: keyId, note: hint.note })),
        { maxActivePerStream: this.deps.maxActivePerStream, atMs: now },
      );
    } catch (err) {
      if (err instanceof ShardcastError) access.refund(hint.ranges.length);
      throw err;
    }
    return { stream: hint.stream, hints: stored.map(hintView) };
  }

  async list(stream: string) {
    const streamId = await this.deps.store.streamId(stream);
    if (!streamId) throw new ShardcastError("not_found", `unknown stream "${stream}"`);
    const active = await this.deps.store.listActive(streamId, (this.deps.clock ?? Date.now)());
    return { stream, hints: active.map(hintView) };
  }
}
