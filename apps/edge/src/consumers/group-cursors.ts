import { commitCursor, freshCursor, laterCursor, ShardcastError, type Cursor } from "@shardcast/core";
import { getDurableCheckpoints, getShardletRow, type ConsumerGroupInfo, type ConsumerGroupState, type ControlDb, type DurableCheckpoint, type DurableRead } from "@shardcast/db";
import type { ConsumerProgress, HeldShardlet, SequenceAllocator } from "@shardcast/runtime";
import type { RouteEntry } from "../routing-cache.ts";
import { liftStaleFences } from "./generation-floor.ts";

/** A member's claim that it processed a shardlet's events up to `position` (docs/consumers.md). */
export interface CursorCommit {
  shardletId: string;
  generation: number;
  position: number;
  /** Events processed since the previous commit (the checkpoint policy counts them). */
  events?: number | undefined;
}

/** Compare-and-set rounds before a commit gives up (only members of one group race here). */
const COMMIT_ATTEMPTS = 8;

/** What reading and committing a group's cursors needs of the coordinator's dependencies. */
export interface CursorDeps {
  db: ControlDb;
  sequences: SequenceAllocator;
  progress: ConsumerProgress;
}

/**
 * Applies commits after checking each against the member's current assignments: a commit for a
 * shardlet the member does not hold, or from an older generation, refuses the whole request.
 * `state` was read before, so the shardlet may change hands (or retire) before the write lands;
 * the write is fenced by generation in Redis for that (see `heldCursors`). A fence only a restored
 * control database could have left behind is lifted for the member before it is refused
 * (`liftStaleFences`).
 */
export async function applyCommits(deps: CursorDeps, entry: RouteEntry, g: ConsumerGroupInfo, state: ConsumerGroupState, memberId: string, commits: readonly CursorCommit[]): Promise<void> {
  if (commits.length > 0) await commitAndReadHeld(deps, entry, g, state, memberId, commits, { held: null });
}

/**
 * A poll's cursor work: its commits (checked as `applyCommits` does), its processing figures and,
 * with `held`, the cursors of the shardlets the member holds, read as their holder once the commits
 * are written (`heldCursors`): one Redis script per compare-and-set round, beside the watermark.
 * `durable` holds checkpoints the request read already (with the group's state); the rest are read.
 * Returns the watermark read for the commits (those beyond it are refused; none is read without
 * commits) and, with `held`, the held shardlets' cursors.
 */
export async function commitAndReadHeld(
  deps: CursorDeps,
  entry: RouteEntry,
  g: ConsumerGroupInfo,
  state: ConsumerGroupState,
  memberId: string,
  commits: readonly CursorCommit[],
  opts: { held: readonly HeldShardlet[] | null; durable?: DurableRead | undefined; stats?: { events: number; processingMs: number } | undefined },
): Promise<{ watermark: number | undefined; cursors: Map<string, Cursor> | null }> {
  const mine = new Map(state.assignments.filter((a) => a.memberId === memberId).map((a) => [a.shardletId, a]));
  const stale = commits
    .filter((c) => mine.get(c.shardletId)?.generation !== c.generation)
    .map((c) => ({ shardletId: c.shardletId, generation: c.generation, current: mine.get(c.shardletId)?.generation ?? null }));
  if (stale.length > 0) throw staleCommits(stale);
  const ids = [...new Set(commits.map((c) => c.shardletId))];
  const heldIds = opts.held?.map((h) => h.shardletId) ?? [];
  // A checkpoint never moves back, so one read holds for every compare-and-set round.
  const known = opts.durable;
  const missing = [...new Set([...ids, ...heldIds])].filter((id) => !known?.ids.has(id));
  // Without commits the watermark is left to the read, which may not need one (see cached-reader.ts).
  const [watermark, fetched, firstRaw] = await Promise.all([
    commits.length > 0 ? deps.sequences.watermark(entry.meta.id) : undefined,
    getDurableCheckpoints(deps.db, g.id, missing),
    deps.progress.readRaw(g.id, ids),
  ]);
  const durable = new Map([...(known?.checkpoints ?? []), ...fetched]);
  const beyond = watermark === undefined ? [] : commits.filter((c) => c.position > watermark);
  if (beyond.length > 0) {
    throw new ShardcastError("bad_request", `commit position ${beyond[0]!.position} is beyond the stream's watermark ${watermark}: nothing was committed`, {
      watermark,
      positions: beyond.map((c) => ({ shardletId: c.shardletId, position: c.position })),
    });
  }
  let raw = firstRaw;
  for (let attempt = 1; ; attempt++) {
    const base = await continueFrom(deps, entry, g, ids, deps.progress.parse(raw), durable);
    const next = new Map<string, { expected: string | null; cursor: Cursor; processed: number; generation: number }>();
    for (const c of commits) {
      const cur = next.get(c.shardletId) ?? { expected: raw.get(c.shardletId) ?? null, cursor: base.get(c.shardletId)!, processed: 0, generation: c.generation };
      next.set(c.shardletId, { ...cur, cursor: commitCursor(cur.cursor, c.position), processed: cur.processed + (c.events ?? 0) });
    }
    const done = await deps.progress.poll(g.id, {
      writes: [...next].map(([shardletId, w]) => ({ shardletId, expected: w.expected, next: w.cursor, processed: w.processed, generation: w.generation })),
      held: opts.held ?? [],
      // Recorded with the commits, so at most once and not by a refused poll.
      stats: opts.stats,
    });
    const outcome = done.outcome;
    if (outcome === "written") return { watermark, cursors: opts.held ? await continueFrom(deps, entry, g, heldIds, done.held, durable) : null };
    if (outcome !== "changed") {
      const fenced = new Set(outcome.fenced);
      const lifted = await liftStaleFences(deps, g, memberId, outcome.fenced);
      const now = new Map(lifted?.shardlets.map((s) => [s.shardletId, s.generation]));
      throw staleCommits(commits.filter((c) => fenced.has(c.shardletId)).map((c) => ({ shardletId: c.shardletId, generation: c.generation, current: now.get(c.shardletId) ?? null })));
    }
    if (attempt >= COMMIT_ATTEMPTS) throw new ShardcastError("unavailable", "commits kept racing with other members' commits; retry");
    raw = await deps.progress.readRaw(g.id, ids);
  }
}

function staleCommits(stale: Array<{ shardletId: string; generation: number; current: number | null }>): ShardcastError {
  return new ShardcastError("conflict", `${stale.length} commit(s) name a shardlet this member no longer holds at that generation: nothing was committed`, { stale });
}

/**
 * The cursor each shardlet continues from: the later of Redis's and the durable checkpoint, else
 * the group's start over the shardlet's range. Both are read every time: Redis may have lost the
 * cursor, or come back with an older one (a failover to a lagging replica, a restore), and
 * continuing from it would deliver again what was committed before the checkpoint.
 */
export async function baseCursors(
  deps: CursorDeps,
  entry: RouteEntry,
  g: ConsumerGroupInfo,
  ids: readonly string[],
  known?: { raw: ReadonlyMap<string, string>; durable: ReadonlyMap<string, DurableCheckpoint> },
): Promise<Map<string, Cursor>> {
  const [live, durable] = known
    ? [deps.progress.parse(known.raw), known.durable]
    : await Promise.all([deps.progress.read(g.id, ids), getDurableCheckpoints(deps.db, g.id, ids)]);
  return continueFrom(deps, entry, g, ids, live, durable);
}

/**
 * `baseCursors` of the shardlets a member holds, read as their holder: from this read on, a commit
 * of an earlier holder (its request checked against assignments read before the hand-off) is
 * refused, so it cannot move the cursor this member continues from.
 */
export async function heldCursors(deps: CursorDeps, entry: RouteEntry, g: ConsumerGroupInfo, held: readonly HeldShardlet[], known?: DurableRead): Promise<Map<string, Cursor>> {
  const ids = held.map((a) => a.shardletId);
  // Checkpoints this request already read still hold (one never moves back): only the rest are read.
  const missing = known ? ids.filter((id) => !known.ids.has(id)) : ids;
  const [live, fetched] = await Promise.all([deps.progress.readHeld(g.id, held), getDurableCheckpoints(deps.db, g.id, missing)]);
  const durable = known ? new Map([...known.checkpoints, ...fetched]) : fetched;
  return continueFrom(deps, entry, g, ids, live, durable);
}

async function continueFrom(
  deps: CursorDeps,
  entry: RouteEntry,
  g: ConsumerGroupInfo,
  ids: readonly string[],
  live: ReadonlyMap<string, Cursor>,
  durable: ReadonlyMap<string, DurableCheckpoint>,
): Promise<Map<string, Cursor>> {
  const out = new Map<string, Cursor>();
  for (const id of ids) {
    const c = laterCursor(live.get(id), durable.get(id)?.cursor);
    if (c) {
      out.set(id, c);
      continue;
    }
    const route = entry.table.byId(id) ?? (await getShardletRow(deps.db, id).then((r) => r && { lo: Number(r.lo), hi: Number(r.hi) }));
    if (!route) throw new ShardcastError("not_found", `unknown shardlet "${id}"`);
    out.set(id, freshCursor(route.lo, route.hi, g.startSeq));
  }
  return out;
}
