import { HASH_SPACE, ShardcastError, type LoadHintWindow } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";

/** Key-hash range [lo, hi); window in epoch ms. */
export interface LoadHintInput extends LoadHintWindow {
  streamId: string;
  apiKeyId?: string | null;
  note?: string | null;
}

export interface LoadHint extends LoadHintWindow {
  id: string;
  streamId: string;
  apiKeyId: string | null;
  note: string | null;
  createdAt: number;
}

function check(h: LoadHintInput): void {
  const ok =
    Number.isInteger(h.lo) &&
    Number.isInteger(h.hi) &&
    h.lo >= 0 &&
    h.hi <= HASH_SPACE &&
    h.lo < h.hi &&
    Number.isFinite(h.eventsPerSec) &&
    h.eventsPerSec > 0 &&
    Number.isFinite(h.startsAt) &&
    Number.isFinite(h.endsAt) &&
    h.startsAt < h.endsAt;
  if (!ok) throw new ShardcastError("validation_failed", "a load hint needs 0 <= lo < hi <= 2^32, a positive rate and startsAt < endsAt");
}

function toHint(r: {
  id: string;
  streamId: string;
  lo: bigint;
  hi: bigint;
  eventsPerSec: number;
  startsAt: Date;
  endsAt: Date;
  apiKeyId: string | null;
  note: string | null;
  createdAt: Date;
}): LoadHint {
  return {
    id: r.id,
    streamId: r.streamId,
    lo: num(r.lo),
    hi: num(r.hi),
    eventsPerSec: r.eventsPerSec,
    startsAt: r.startsAt.getTime(),
    endsAt: r.endsAt.getTime(),
    apiKeyId: r.apiKeyId,
    note: r.note,
    createdAt: r.createdAt.getTime(),
  };
}

/** Stores hints all or none (one transaction); the caller validated the request. */
export async function insertLoadHints(db: ControlDb, hints: readonly LoadHintInput[]): Promise<LoadHint[]> {
  hints.forEach(check);
  const rows = await db.$transaction(
    hints.map((h) =>
      db.loadHint.create({
        data: {
          streamId: h.streamId,
          lo: BigInt(h.lo),
          hi: BigInt(h.hi),
          eventsPerSec: h.eventsPerSec,
          startsAt: new Date(h.startsAt),
          endsAt: new Date(h.endsAt),
          apiKeyId: h.apiKeyId ?? null,
          note: h.note ?? null,
        },
      }),
    ),
  );
  return rows.map(toHint);
}

/** A stream's hints that have not ended at `atMs` (running or upcoming), by start. */
export async function listActiveHints(db: ControlDb, q: { streamId: string; atMs: number; limit?: number }): Promise<LoadHint[]> {
  const rows = await db.loadHint.findMany({
    where: { streamId: q.streamId, endsAt: { gt: new Date(q.atMs) } },
    orderBy: [{ startsAt: "asc" }, { id: "asc" }],
    take: Math.max(1, Math.min(q.limit ?? 1000, 10_000)),
  });
  return rows.map(toHint);
}

/** Hints whose window overlaps [fromMs, toMs) (a forecast's history and horizon), of one stream or all. */
export async function listHintsOverlapping(db: ControlDb, q: { streamId?: string; fromMs: number; toMs: number }): Promise<LoadHint[]> {
  const rows = await db.loadHint.findMany({
    where: { ...(q.streamId ? { streamId: q.streamId } : {}), endsAt: { gt: new Date(q.fromMs) }, startsAt: { lt: new Date(q.toMs) } },
    orderBy: [{ startsAt: "asc" }, { id: "asc" }],
  });
  return rows.map(toHint);
}

/** Retention: deletes hints that ended before `beforeMs`. */
export async function deleteHintsEndedBefore(db: ControlDb, beforeMs: number): Promise<number> {
  const res = await db.loadHint.deleteMany({ where: { endsAt: { lt: new Date(beforeMs) } } });
  return res.count;
}
