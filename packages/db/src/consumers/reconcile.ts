import { assignShardlets, deriveCursor, maxCursor, memberWeights, ShardcastError, type ConsumerSettings, type Cursor } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { msOf, sqlTransaction } from "../sql.ts";
import { deleteDurableCheckpoints, getDurableCheckpoints, saveCheckpointsIn } from "./checkpoints.ts";
import { getConsumerGroupState } from "./group-state.ts";
import { logGroupEvents, type ConsumerGroupState, type GroupEventInput } from "./groups.ts";
import { MEMBER_COLUMNS, memberOf, setMemberCapacities, type MemberSqlRow } from "./member-rows.ts";
import { AssignmentWrites, lineageOf, type HeldRow } from "./reconcile-rows.ts";

/** Shardlet states that take events (the router sends their range to them or their overflow). */
const ROUTED = new Set(["active", "splitting", "merging", "migrating"]);
/** Lineage is followed this many generations up at most (a runaway chain must not hang a poll). */
const MAX_LINEAGE_DEPTH = 64;

export interface ReconcileOptions {
  now: number;
  handoffTimeoutMs: number;
  /** The member whose poll carried its commits: shardlets being handed away from it go now. */
  pollingMemberId?: string | undefined;
  /**
   * The latest (Redis) cursors of shardlets no longer routed whose cursors are handed on, each
   * sealed first so no commit lands on it after this read (`ConsumerProgress.seal`); the durable
   * checkpoint fills in what is missing.
   */
  sealCursors(shardletIds: readonly string[]): Promise<Map<string, Cursor>>;
  /** How members are weighed (the `memberWeighting` setting; default `throughput`). */
  weighting?: ConsumerSettings["memberWeighting"] | undefined;
}

export interface ReconcileResult {
  changed: boolean;
  state: ConsumerGroupState;
  /** Cursors of shardlets created by a split or merge (stored durably too): install them in Redis. */
  handedOn: Map<string, Cursor>;
  /** Retired shardlets whose cursors were handed on: forget them in Redis. */
  retired: string[];
}

/**
 * Brings a group's assignments in line with its live members and the stream's routed shardlets,
 * under the group's row lock (so concurrent polls, joins and the checkpoint job serialize):
 * expired members are removed; shardlets that split or merged away hand their cursors on to the
 * shardlets that replaced them (sealed against late commits first, stored durably before the old
 * rows go); the assignor (core) keeps what it can and moves only what balance needs; a shardlet
 * moving between two live members is handed over at the holder's next poll (its commits come
 * first) or at the hand-off deadline. Every change of holder takes a new generation, the fencing
 * token commits are checked against.
 */
export async function reconcileConsumerGroup(db: ControlDb, groupId: string, opts: ReconcileOptions): Promise<ReconcileResult> {
  const handedOn = new Map<string, Cursor>();
  const retired: string[] = [];
  // Plain SQL, its writes batched: every join, leave and rebalance of every group runs this under
  // the group's lock, so members joining together wait for each other's transaction (see sql.ts).
  const changed = await sqlTransaction(db, async (q) => {
    const locked = await q<{ stream_id: string; generation: number; start_seq: number }>(
      "SELECT stream_id, generation, start_seq::float8 AS start_seq FROM consumer_groups WHERE id = $1 FOR UPDATE",
      [groupId],
    );
    const g = locked[0];
    if (!g) return false;
    const events: GroupEventInput[] = [];
    const now = new Date(opts.now);

    const members = (await q<MemberSqlRow>(`SELECT ${MEMBER_COLUMNS} FROM consumer_members WHERE group_id = $1 ORDER BY joined_at ASC, id ASC`, [groupId])).map(memberOf);
    const expired = members.filter((m) => m.lastSeenAt + m.sessionTimeoutMs < opts.now);
    if (expired.length > 0) {
      await q("DELETE FROM consumer_members WHERE id = ANY($1::text[])", [expired.map((m) => m.id)]);
      for (const m of expired) events.push({ groupId, kind: "expire", memberId: m.id, shardletIds: [], detail: `${m.name}'s session expired` });
    }
    const live = members.filter((m) => !expired.includes(m));
    const liveIds = new Set(live.map((m) => m.id));
    const nameOf = new Map(members.map((m) => [m.id, m.name]));

    const rows = await q<HeldRow>(
      `SELECT shardlet_id AS "shardletId", member_id AS "memberId", generation, next_member_id AS "nextMemberId", ${msOf("handoff_deadline")} AS "handoffDeadline"
       FROM consumer_assignments WHERE group_id = $1`,
      [groupId],
    );
    const rowById = new Map(rows.map((r) => [r.shardletId, r]));
    const lineage = await lineageOf(q, g.stream_id, now);
    const byId = new Map(lineage.map((s) => [s.id, s]));
    const routed = lineage.filter((s) => ROUTED.has(s.state)).sort((a, b) => a.lo - b.lo);
    const routedIds = new Set(routed.map((s) => s.id));
    const stale = rows.filter((r) => !routedIds.has(r.shardletId));
    const fresh = routed.filter((s) => !rowById.has(s.id));

    // Lineage: a new shardlet starts from its ancestors' cursors (Redis first, durable behind it).
    // Sealed before they are read: a commit landing after the read would be lost to the children.
    if (fresh.length > 0) {
      const ancestors = new Set<string>();
      const walk = (id: string, depth: number) => {
        const s = byId.get(id);
        if (!s || depth > MAX_LINEAGE_DEPTH) return;
        for (const p of [s.parentId, s.mergedFromId]) {
          if (!p || ancestors.has(p)) continue;
          ancestors.add(p);
          walk(p, depth + 1);
        }
      };
      for (const s of fresh) walk(s.id, 0);
      const ids = [...ancestors];
      // A switch retires the sources as it routes the new shardlets, so no ancestor should be
      // routed; one that is keeps its holder's commits coming and counts by its checkpoint only.
      const sealed = ids.filter((id) => !routedIds.has(id));
      const [final, durable] = await Promise.all([opts.sealCursors(sealed), getDurableCheckpoints(q, groupId, ids)]);
      const cursors = new Map<string, Cursor>();
      for (const id of ids) {
        const a = final.get(id);
        const b = durable.get(id)?.cursor;
        const c = a && b ? maxCursor(a, b) : (a ?? b);
        if (c) cursors.set(id, c);
      }
      const shardlets = new Map(lineage.map((s) => [s.id, { lo: s.lo, hi: s.hi, parentId: s.parentId, mergedFromId: s.mergedFromId }]));
      for (const s of fresh) handedOn.set(s.id, deriveCursor(s.id, { shardlets, cursors, start: g.start_seq }));
    }

    // The assignor sees a pending hand-off as already done, so it does not undo it.
    const current = new Map<string, string>();
    for (const r of rows) {
      const holder = r.nextMemberId && liveIds.has(r.nextMemberId) ? r.nextMemberId : r.memberId;
      if (holder && liveIds.has(holder)) current.set(r.shardletId, holder);
    }
    // Weighed by measured processing rates; a rate stored again only past the hysteresis band.
    const weighed = memberWeights(live, { mode: opts.weighting ?? "throughput" });
    if (weighed.changed.length > 0) await setMemberCapacities(q, new Map(weighed.changed.map((id) => [id, weighed.capacity.get(id) ?? null])));
    const { assignment } = assignShardlets({
      members: live.map((m) => ({ id: m.id, weight: weighed.weights.get(m.id) ?? 1 })),
      shardlets: routed.map((s) => ({ id: s.id, load: s.load, parents: [s.parentId, s.mergedFromId].filter((p): p is string => p !== null) })),
      current,
    });

    let gen = g.generation;
    const writes = new AssignmentWrites();
    const byTarget = new Map<string, { kind: GroupEventInput["kind"]; member: string | null; ids: string[] }>();
    const note = (kind: GroupEventInput["kind"], member: string | null, id: string) => {
      const k = `${kind}|${member ?? ""}`;
      const e = byTarget.get(k) ?? { kind, member, ids: [] };
      e.ids.push(id);
      byTarget.set(k, e);
    };
    for (const s of routed) {
      const target = assignment.get(s.id) ?? null;
      const row = rowById.get(s.id);
      if (!row) {
        writes.create(s.id, target, ++gen);
        note(s.parentId || s.mergedFromId ? "lineage" : "assign", target, s.id);
        continue;
      }
      const holder = row.memberId && liveIds.has(row.memberId) ? row.memberId : null;
      if (target === holder) {
        if (row.nextMemberId) writes.keepHolder(s.id);
        continue;
      }
      const handoffDue = row.nextMemberId === target && (opts.pollingMemberId === holder || (row.handoffDeadline !== null && row.handoffDeadline <= opts.now));
      if (holder === null || target === null || handoffDue || opts.pollingMemberId === holder) {
        writes.hand(s.id, target, ++gen);
        note(holder === null ? "assign" : "handoff", target, s.id);
      } else if (row.nextMemberId !== target) {
        writes.handAtDeadline(s.id, target, opts.now + opts.handoffTimeoutMs);
      }
    }
    await writes.apply(q, groupId, now);
    if (handedOn.size > 0) {
      const parentsOf = (id: string) => {
        const s = byId.get(id);
        return [s?.parentId, s?.mergedFromId].filter((p): p is string => !!p);
      };
      await saveCheckpointsIn(
        q,
        groupId,
        [...handedOn].map(([shardletId, cursor]) => ({
          shardletId,
          cursor,
          trigger: "lineage",
          reason: parentsOf(shardletId).length > 0 ? `handed on from ${parentsOf(shardletId).join(" + ")}` : "first assignment",
          eventsSince: 0,
          predictedReplaySec: 0,
        })),
        now,
      );
    }
    if (stale.length > 0) {
      const ids = stale.map((r) => r.shardletId);
      await q("DELETE FROM consumer_assignments WHERE group_id = $1 AND shardlet_id = ANY($2::text[])", [groupId, ids]);
      await deleteDurableCheckpoints(q, groupId, ids);
      retired.push(...ids);
    }
    for (const e of byTarget.values()) {
      const who = e.member ? (nameOf.get(e.member) ?? e.member) : "nobody";
      const detail =
        e.kind === "lineage" ? `${e.ids.length} new shardlet(s) continue their parents' positions, held by ${who}` : e.kind === "handoff" ? `${e.ids.length} shardlet(s) handed over to ${who}` : `${e.ids.length} shardlet(s) assigned to ${who}`;
      events.push({ groupId, kind: e.kind, memberId: e.member, shardletIds: e.ids, detail });
    }
    if (gen !== g.generation) await q("UPDATE consumer_groups SET generation = $2 WHERE id = $1", [groupId, gen]);
    await logGroupEvents(q, events, now);
    return expired.length > 0 || writes.size > 0 || stale.length > 0;
  });
  const state = await getConsumerGroupState(db, groupId);
  if (!state) throw new ShardcastError("not_found", `consumer group ${groupId} vanished during reconcile`);
  return { changed, state, handedOn, retired };
}

/**
 * Whether a group needs `reconcileConsumerGroup`: a member's session expired, its shardlets no
 * longer match the routed ones, a shardlet has no live holder, a hand-off is due, or a member's
 * measured processing rate left the band it is weighed at. Cheap (no I/O), so every poll can ask.
 */
export function consumerGroupNeedsReconcile(
  state: ConsumerGroupState,
  routedIds: ReadonlySet<string>,
  now: number,
  pollingMemberId?: string,
  weighting: ConsumerSettings["memberWeighting"] = "throughput",
): boolean {
  const live = new Set(state.members.filter((m) => m.lastSeenAt + m.sessionTimeoutMs >= now).map((m) => m.id));
  if (live.size !== state.members.length) return true;
  if (memberWeights(state.members, { mode: weighting }).changed.length > 0) return true;
  if (state.assignments.length !== routedIds.size) return true;
  for (const a of state.assignments) {
    if (!routedIds.has(a.shardletId)) return true;
    if (live.size > 0 && (a.memberId === null || !live.has(a.memberId))) return true;
    if (a.nextMemberId && (a.memberId === pollingMemberId || (a.handoffDeadline !== null && a.handoffDeadline <= now))) return true;
  }
  return false;
}
