import { cursorSchema, ShardcastError, type Cursor } from "@shardcast/core";
import type { Redis } from "ioredis";
import { POLL_CURSORS } from "./consumer-progress-scripts.ts";
import { runScript } from "./redis-scripts.ts";

/**
 * Consumer groups' live progress in Redis: the committed cursor of every shardlet, the events
 * processed since its last durable checkpoint, the group's measured processing time, and the
 * snapshot requests waiting for each member's next poll. Commits land here on every poll (cheap);
 * the checkpoint job copies cursors to PostgreSQL when it decides to. Redis may lose all of it:
 * readers then fall back to the durable checkpoints, which only costs re-delivery. Each shardlet
 * also has a fence, the generation of its latest holder, that keeps earlier holders' commits out.
 *
 * All keys of a group share one hash tag, so the scripts (consumer-progress-scripts.ts) stay on
 * one Redis Cluster slot.
 */
export interface CursorWrite {
  shardletId: string;
  /** The cursor read before computing `next` (null: Redis had none); the write only happens if it is unchanged. */
  expected: string | null;
  next: Cursor;
  /** Events processed since the last poll, added to the count since the last checkpoint. */
  processed: number;
  /** The committing member's assignment generation; absent: the write is not fenced. */
  generation?: number | undefined;
}

export interface SnapshotRequest {
  shardletId: string;
  position: number;
  reason: string;
}

export interface GroupStats {
  /** Exponentially weighted processing time per event, ms (null until measured). */
  msPerEvent: number | null;
}

/** A shardlet a member holds, at its assignment generation. */
export interface HeldShardlet {
  shardletId: string;
  generation: number;
}

/**
 * What `setCursors` did: wrote every cursor; found one changed since it was read (read again and
 * retry); or refused the listed shardlets, held at a newer generation or retired since.
 */
export type CursorSetOutcome = "written" | "changed" | { fenced: string[] };

/**
 * Marks of retired shardlets outlive any commit that read its assignment before the retirement
 * (one request's time); they expire on their own since nothing else would remove them.
 */
const RETIRED_MARK_MS = 86_400_000;
/** Snapshot requests of a member that never polls again expire after this long. */
const SNAPSHOT_REQUEST_MS = 3_600_000;

export class ConsumerProgress {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(groupId: string, what: string): string {
    return `${this.prefix}:cg:{${groupId}}:${what}`;
  }

  private retiredKey(groupId: string, shardletId: string): string {
    return this.key(groupId, `retired:${shardletId}`);
  }

  /** Raw stored cursors (JSON text, for a later compare-and-set) by shardlet; missing ones are absent. */
  async readRaw(groupId: string, shardletIds: readonly string[]): Promise<Map<string, string>> {
    if (shardletIds.length === 0) return new Map();
    return present(shardletIds, await this.redis.hmget(this.key(groupId, "cursor"), ...shardletIds));
  }

  /** Parsed cursors by shardlet; a field that does not parse is treated as missing. */
  async read(groupId: string, shardletIds: readonly string[]): Promise<Map<string, Cursor>> {
    return parseCursors(await this.readRaw(groupId, shardletIds));
  }

  /**
   * The cursors of shardlets a member holds, read as their holder: each shardlet's fence rises to
   * the member's generation first, so no commit of an earlier holder lands after this read.
   */
  async readHeld(groupId: string, held: readonly HeldShardlet[]): Promise<Map<string, Cursor>> {
    if (held.length === 0) return new Map();
    return (await this.poll(groupId, { held })).held;
  }

  /**
   * What one poll does to the group's cursors, in one script (consumer-progress-scripts.ts): writes
   * the commits (`setCursors`), and only if they were written, records the processing figures and
   * reads the held shardlets as their holder (`readHeld`). `held` is empty unless `outcome` is
   * "written".
   */
  async poll(
    groupId: string,
    p: { writes?: readonly CursorWrite[]; held?: readonly HeldShardlet[]; stats?: { events: number; processingMs: number } | undefined },
  ): Promise<{ outcome: CursorSetOutcome; held: Map<string, Cursor> }> {
    const writes = p.writes ?? [];
    const held = p.held ?? [];
    const events = p.stats && p.stats.events > 0 && p.stats.processingMs >= 0 ? p.stats : null;
    if (writes.length === 0 && held.length === 0 && !events) return { outcome: "written", held: new Map() };
    const keys = [
      this.key(groupId, "cursor"),
      this.key(groupId, "since"),
      this.key(groupId, "fence"),
      this.key(groupId, "stats"),
      ...writes.map((w) => this.retiredKey(groupId, w.shardletId)),
      ...held.map((h) => this.retiredKey(groupId, h.shardletId)),
    ];
    const args: Array<string | number> = [writes.length, held.length, events?.events ?? 0, events?.processingMs ?? 0];
    for (const w of writes) args.push(w.shardletId, w.expected ?? "", JSON.stringify(w.next), Math.max(0, Math.floor(w.processed)), w.generation ?? "");
    for (const h of held) args.push(h.shardletId, h.generation);
    const [status, ...rest] = (await runScript(this.redis, "shardcastPollCursors", POLL_CURSORS, keys.length, ...keys, ...args)) as [string, ...Array<string | null>];
    if (status === "fenced") return { outcome: { fenced: rest.filter((f): f is string => typeof f === "string") }, held: new Map() };
    if (status === "changed") return { outcome: "changed", held: new Map() };
    return { outcome: "written", held: parseCursors(present(held.map((h) => h.shardletId), rest)) };
  }

  /** Fences by shardlet (the generation of each one's latest holder); shardlets without one are absent. */
  async fences(groupId: string, shardletIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (shardletIds.length === 0) return out;
    const values = await this.redis.hmget(this.key(groupId, "fence"), ...shardletIds);
    shardletIds.forEach((id, i) => {
      const n = values[i] === null || values[i] === undefined ? NaN : Number(values[i]);
      if (Number.isFinite(n)) out.set(id, n);
    });
    return out;
  }

  /** Parses what `readRaw` returned. */
  parse(raw: ReadonlyMap<string, string>): Map<string, Cursor> {
    return parseCursors(raw);
  }

  /** Every stored cursor of a group. */
  async readAll(groupId: string): Promise<Map<string, Cursor>> {
    const raw = await this.redis.hgetall(this.key(groupId, "cursor"));
    return parseCursors(new Map(Object.entries(raw)));
  }

  /**
   * Writes cursors if none changed since they were read and no fenced write is refused (see
   * consumer-progress-scripts.ts): all of them or none.
   */
  async setCursors(groupId: string, writes: readonly CursorWrite[]): Promise<CursorSetOutcome> {
    if (writes.length === 0) return "written";
    return (await this.poll(groupId, { writes })).outcome;
  }

  /**
   * The final cursors of shardlets whose cursors are about to be handed on (split or merged away):
   * marks them retired and reads them in one transaction, so every commit either landed before the
   * read or is refused (`fenced`), never written after it and lost to the shardlets that continue.
   * Sealing again returns the same cursors (a reconcile retried after a crash derives the same).
   */
  async seal(groupId: string, shardletIds: readonly string[]): Promise<Map<string, Cursor>> {
    if (shardletIds.length === 0) return new Map();
    const m = this.redis.multi();
    for (const id of shardletIds) m.set(this.retiredKey(groupId, id), "1", "PX", RETIRED_MARK_MS);
    m.hmget(this.key(groupId, "cursor"), ...shardletIds);
    const res = await m.exec();
    if (!res) throw new ShardcastError("unavailable", "Redis discarded the transaction sealing retired shardlets; retry");
    // A mark not set would let a commit in after the read: no cursor is handed on without all of them.
    for (const [err] of res) if (err) throw err;
    const values = res[shardletIds.length]![1] as Array<string | null>;
    return parseCursors(present(shardletIds, values));
  }

  /**
   * Installs cursors where Redis has none (lineage hand-offs, computed under the group's row lock
   * and already durable): a member that committed on the new shardlet in between keeps its commit.
   */
  async putMissing(groupId: string, cursors: ReadonlyMap<string, Cursor>): Promise<void> {
    if (cursors.size === 0) return;
    const m = this.redis.multi();
    for (const [id, c] of cursors) m.hsetnx(this.key(groupId, "cursor"), id, JSON.stringify(c));
    await m.exec();
  }

  /**
   * Forgets shardlets (retired after a hand-off, or removed from the group), and marks them
   * retired: a commit that read its assignment before would otherwise write the cursor again, and
   * nothing would remove it.
   */
  async forget(groupId: string, shardletIds: readonly string[]): Promise<void> {
    if (shardletIds.length === 0) return;
    const m = this.redis
      .multi()
      .hdel(this.key(groupId, "cursor"), ...shardletIds)
      .hdel(this.key(groupId, "since"), ...shardletIds)
      .hdel(this.key(groupId, "fence"), ...shardletIds);
    for (const id of shardletIds) m.set(this.retiredKey(groupId, id), "1", "PX", RETIRED_MARK_MS);
    await m.exec();
  }

  /** Every shardlet the group has a cursor, count or fence of in Redis. */
  async storedShardlets(groupId: string): Promise<Set<string>> {
    const res = await this.redis.multi().hkeys(this.key(groupId, "cursor")).hkeys(this.key(groupId, "since")).hkeys(this.key(groupId, "fence")).exec();
    const out = new Set<string>();
    for (const [err, ids] of res ?? []) {
      if (err) throw err;
      for (const id of ids as string[]) out.add(id);
    }
    return out;
  }

  /** Events processed since each shardlet's last checkpoint (0 when unknown). */
  async eventsSinceCheckpoint(groupId: string, shardletIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (shardletIds.length === 0) return out;
    const values = await this.redis.hmget(this.key(groupId, "since"), ...shardletIds);
    shardletIds.forEach((id, i) => out.set(id, Number(values[i] ?? 0) || 0));
    return out;
  }

  /** After a checkpoint: the count restarts from what was processed past the checkpointed cursor. */
  async resetSince(groupId: string, counts: ReadonlyMap<string, number>): Promise<void> {
    if (counts.size === 0) return;
    const m = this.redis.multi();
    for (const [id, n] of counts) m.hincrby(this.key(groupId, "since"), id, -n);
    await m.exec();
  }

  async recordStats(groupId: string, events: number, processingMs: number): Promise<void> {
    await this.poll(groupId, { stats: { events, processingMs } });
  }

  async stats(groupId: string): Promise<GroupStats> {
    const v = await this.redis.hget(this.key(groupId, "stats"), "msPerEvent");
    const n = v === null ? NaN : Number(v);
    return { msPerEvent: Number.isFinite(n) && n >= 0 ? n : null };
  }

  /** Queues snapshot requests for a member (its next poll answer carries them). */
  async requestSnapshots(groupId: string, memberId: string, requests: readonly SnapshotRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const fields: string[] = [];
    for (const r of requests) fields.push(r.shardletId, JSON.stringify(r));
    const key = this.key(groupId, `snap:${memberId}`);
    // A member that never polls again must not leave its requests behind for ever.
    await this.redis.multi().hset(key, ...fields).pexpire(key, SNAPSHOT_REQUEST_MS).exec();
  }

  /**
   * Puts back requests a poll took but could not answer with; a request for the same shardlet
   * queued since is newer and stays.
   */
  async returnSnapshots(groupId: string, memberId: string, requests: readonly SnapshotRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const key = this.key(groupId, `snap:${memberId}`);
    const m = this.redis.multi();
    for (const r of requests) m.hsetnx(key, r.shardletId, JSON.stringify(r));
    await m.pexpire(key, SNAPSHOT_REQUEST_MS).exec();
  }

  /** Takes (and removes) a member's pending snapshot requests. */
  async takeSnapshots(groupId: string, memberId: string): Promise<SnapshotRequest[]> {
    const key = this.key(groupId, `snap:${memberId}`);
    const res = await this.redis.multi().hgetall(key).del(key).exec();
    const all = (res?.[0]?.[1] ?? {}) as Record<string, string>;
    const out: SnapshotRequest[] = [];
    for (const v of Object.values(all)) {
      try {
        const r = JSON.parse(v) as SnapshotRequest;
        if (typeof r.shardletId === "string" && typeof r.position === "number") out.push(r);
      } catch {
        // A malformed request is dropped: snapshots are advisory.
      }
    }
    return out;
  }

  /**
   * Drops a deleted group's cursors, fences, counts, stats and its members' snapshot requests.
   * Retired marks are left to expire: they are per shardlet, and finding them would take a scan.
   */
  async dropGroup(groupId: string, memberIds: readonly string[] = []): Promise<void> {
    const keys = ["cursor", "since", "fence", "stats", ...memberIds.map((id) => `snap:${id}`)].map((what) => this.key(groupId, what));
    await this.redis.del(...keys);
  }
}

/** The fields HMGET (or a script reading fields) found, by the ids asked for in order. */
function present(ids: readonly string[], values: ReadonlyArray<string | null | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  ids.forEach((id, i) => {
    const v = values[i];
    if (typeof v === "string") out.set(id, v);
  });
  return out;
}

function parseCursors(raw: ReadonlyMap<string, string>): Map<string, Cursor> {
  const out = new Map<string, Cursor>();
  for (const [id, text] of raw) {
    try {
      const parsed = cursorSchema.safeParse(JSON.parse(text));
      if (parsed.success) out.set(id, parsed.data);
    } catch {
      // Not JSON: treated as missing, so the durable checkpoint is used instead.
    }
  }
  return out;
}
