import { assignShardlets, deriveCursor, maxCursor, memberWeights, ShardcastError, type ConsumerSettings, type Cursor } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { deleteDurableCheckpoints, getDurableCheckpoints, saveCheckpoints } from "./checkpoints.ts";
import { getConsumerGroupState, logGroupEvents, toMember, type ConsumerGroupState, type GroupEventInput } from "./groups.ts";
import { setMemberCapacities } from "./member-rows.ts";

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

interface LineageRow {
  id: string;
  lo: number;
  hi: number;
  state: string;
  parentId: string | null;
  mergedFromId: string | null;
  writeRate: number;
  readRate: number;
  /** Write (forecast where the analyzer has one) plus read rate, events/s. */
  load: number;
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
  const changed = await db.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<Array<{ stream_id: string; generation: number; start_seq: bigint }>>`
        SELECT stream_id, generation, start_seq FROM consumer_groups WHERE id = ${groupId} FOR UPDATE`;
      const g = locked[0];
      if (!g) return false;
      const events: GroupEventInput[] = [];
      const now = new Date(opts.now);

      const members = (await tx.consumerMember.findMany({ where: { groupId } })).map(toMember);
      const expired = members.filter((m) => m.lastSeenAt + m.sessionTimeoutMs < opts.now);
      if (expired.length > 0) {
        await tx.consumerMember.deleteMany({ where: { id: { in: expired.map((m) => m.id) } } });
        for (const m of expired) events.push({ groupId, kind: "expire", memberId: m.id, shardletIds: [], detail: `${m.name}'s session expired` });
      }
      const live = members.filter((m) => !expired.includes(m));
      const liveIds = new Set(live.map((m) => m.id));
      const nameOf = new Map(members.map((m) => [m.id, m.name]));

      const rows = await tx.consumerAssignment.findMany({ where: { groupId } });
      const rowById = new Map(rows.map((r) => [r.shardletId, r]));
      const lineage: LineageRow[] = (
        await tx.shardlet.findMany({
          where: { streamId: g.stream_id },
          select: { id: true, lo: true, hi: true, state: true, parentId: true, mergedFromId: true, writeRate: true, readRate: true },
        })
      ).map((s) => ({ id: s.id, lo: num(s.lo), hi: num(s.hi), state: s.state, parentId: s.parentId, mergedFromId: s.mergedFromId, writeRate: s.writeRate, readRate: s.readRate, load: s.writeRate + s.readRate }));
      // Balance by what the shardlets will carry: the analyzer's latest forecast where it has one.
      const forecast = await tx.$queryRaw<Array<{ shardlet_id: string; rate: number }>>`
        WITH latest AS (
          SELECT f.run_id FROM forecast_points f JOIN analyzer_runs r ON r.id = f.run_id
          WHERE f.stream_id = ${g.stream_id} AND f.metric = 'writes' AND f.bucket_start >= ${now} ORDER BY r.at DESC LIMIT 1)
        SELECT shardlet_id, avg(value)::float8 AS rate FROM forecast_points
        WHERE run_id = (SELECT run_id FROM latest) AND stream_id = ${g.stream_id} AND metric = 'writes' AND bucket_start >= ${now}
        GROUP BY shardlet_id`;
      const forecastRate = new Map(forecast.map((f) => [f.shardlet_id, f.rate]));
      for (const s of lineage) {
        const f = forecastRate.get(s.id);
        if (f !== undefined && Number.isFinite(f)) s.load = Math.max(s.writeRate, f) + s.readRate;
      }
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
        const [final, durable] = await Promise.all([opts.sealCursors(sealed), getDurableCheckpoints(db, groupId, ids)]);
        const cursors = new Map<string, Cursor>();
        for (const id of ids) {
          const a = final.get(id);
          const b = durable.get(id)?.cursor;
          const c = a && b ? maxCursor(a, b) : (a ?? b);
          if (c) cursors.set(id, c);
        }
        const shardlets = new Map(lineage.map((s) => [s.id, { lo: s.lo, hi: s.hi, parentId: s.parentId, mergedFromId: s.mergedFromId }]));
        for (const s of fresh) handedOn.set(s.id, deriveCursor(s.id, { shardlets, cursors, start: num(g.start_seq) }));
      }

      // The assignor sees a pending hand-off as already done, so it does not undo it.
      const current = new Map<string, string>();
      for (const r of rows) {
        const holder = r.nextMemberId && liveIds.has(r.nextMemberId) ? r.nextMemberId : r.memberId;
        if (holder && liveIds.has(holder)) current.set(r.shardletId, holder);
      }
      // Weighed by measured processing rates; a rate stored again only past the hysteresis band.
      const weighed = memberWeights(live, { mode: opts.weighting ?? "throughput" });
      if (weighed.changed.length > 0) await setMemberCapacities(tx, new Map(weighed.changed.map((id) => [id, weighed.capacity.get(id) ?? null])));
      const { assignment } = assignShardlets({
        members: live.map((m) => ({ id: m.id, weight: weighed.weights.get(m.id) ?? 1 })),
        shardlets: routed.map((s) => ({ id: s.id, load: s.load, parents: [s.parentId, s.mergedFromId].filter((p): p is string => p !== null) })),
        current,
      });

      let gen = g.generation;
      let changed = expired.length > 0;
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
          await tx.consumerAssignment.create({ data: { groupId, shardletId: s.id, memberId: target, generation: ++gen, assignedAt: now } });
          changed = true;
          note(s.parentId || s.mergedFromId ? "lineage" : "assign", target, s.id);
          continue;
        }
        const holder = row.memberId && liveIds.has(row.memberId) ? row.memberId : null;
        if (target === holder) {
          if (row.nextMemberId) {
            await tx.consumerAssignment.update({ where: { groupId_shardletId: { groupId, shardletId: s.id } }, data: { nextMemberId: null, handoffDeadline: null } });
            changed = true;
          }
          continue;
        }
        const handoffDue = row.nextMemberId === target && (opts.pollingMemberId === holder || (row.handoffDeadline !== null && row.handoffDeadline.getTime() <= opts.now));
        if (holder === null || target === null || handoffDue || opts.pollingMemberId === holder) {
          await tx.consumerAssignment.update({
            where: { groupId_shardletId: { groupId, shardletId: s.id } },
            data: { memberId: target, generation: ++gen, nextMemberId: null, handoffDeadline: null, assignedAt: now },
          });
          note(holder === null ? "assign" : "handoff", target, s.id);
          changed = true;
        } else if (row.nextMemberId !== target) {
          await tx.consumerAssignment.update({
            where: { groupId_shardletId: { groupId, shardletId: s.id } },
            data: { nextMemberId: target, handoffDeadline: new Date(opts.now + opts.handoffTimeoutMs) },
          });
          changed = true;
        }
      }
      if (handedOn.size > 0) {
        const parentsOf = (id: string) => {
          const s = byId.get(id);
          return [s?.parentId, s?.mergedFromId].filter((p): p is string => !!p);
        };
        await saveCheckpoints(
          tx,
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
        await tx.consumerAssignment.deleteMany({ where: { groupId, shardletId: { in: ids } } });
        await deleteDurableCheckpoints(tx, groupId, ids);
        retired.push(...ids);
        changed = true;
      }
      for (const e of byTarget.values()) {
        const who = e.member ? (nameOf.get(e.member) ?? e.member) : "nobody";
        const detail =
          e.kind === "lineage" ? `${e.ids.length} new shardlet(s) continue their parents' positions, held by ${who}` : e.kind === "handoff" ? `${e.ids.length} shardlet(s) handed over to ${who}` : `${e.ids.length} shardlet(s) assigned to ${who}`;
        events.push({ groupId, kind: e.kind, memberId: e.member, shardletIds: e.ids, detail });
      }
      if (gen !== g.generation) await tx.consumerGroup.update({ where: { id: groupId }, data: { generation: gen } });
      await logGroupEvents(tx, events);
      return changed;
    },
    { timeout: 15_000, maxWait: 10_000 },
  );
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
