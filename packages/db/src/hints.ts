import { HASH_SPACE, ShardcastError, type LoadHintWindow } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { xactLock } from "./xact-lock.ts";

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

/**
 * Most hints of one stream that may be active (not yet ended) at once, and so the most of one
 * stream a forecast reads (`loadHintsBetween`): an edge's cap is at most this, so a forecast sees
 * every hint an edge let in.
 */
export const MAX_ACTIVE_HINTS_PER_STREAM = 10_000;

/**
 * Stores hints all or none; the caller validated the request. With a `cap`, a stream
 * that would then hold more hints not ended at `atMs` refuses them all (`conflict`): concurrent
 * requests for one stream are serialised, so together they cannot pass the cap either.
 */
export async function insertLoadHints(
  db: ControlDb,
  hints: readonly LoadHintInput[],
  cap?: { maxActivePerStream: number; atMs: number },
): Promise<LoadHint[]> {
  hints.forEach(check);
  if (hints.length === 0) return [];
  const data = hints.map((h) => ({
    streamId: h.streamId,
    lo: BigInt(h.lo),
    hi: BigInt(h.hi),
    eventsPerSec: h.eventsPerSec,
    startsAt: new Date(h.startsAt),
    endsAt: new Date(h.endsAt),
    apiKeyId: h.apiKeyId ?? null,
    note: h.note ?? null,
  }));
  if (!cap) return (await db.loadHint.createManyAndReturn({ data })).map(toHint);
  const adding = new Map<string, number>();
  for (const h of hints) adding.set(h.streamId, (adding.get(h.streamId) ?? 0) + 1);
  return db.$transaction(async (tx) => {
    // Sorted, so two requests over the same streams take their locks in one order.
    for (const [streamId, requested] of [...adding].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      await xactLock(tx, `load-hints:${streamId}`);
      const active = await tx.loadHint.count({ where: { streamId, endsAt: { gt: new Date(cap.atMs) } } });
      if (active + requested > cap.maxActivePerStream) {
        throw new ShardcastError(
          "conflict",
          `the stream has ${active} hints that have not ended and may have at most ${cap.maxActivePerStream}; these ${requested} would pass that: wait until some end, or send fewer`,
          { active, max: cap.maxActivePerStream, requested },
        );
      }
    }
    return (await tx.loadHint.createManyAndReturn({ data })).map(toHint);
  });
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
