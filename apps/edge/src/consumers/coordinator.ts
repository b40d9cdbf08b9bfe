import { freshCursor, ReadAheadGate, ShardcastError, type ConsumerSettings, type MemberTelemetry } from "@shardcast/core";
import {
  addConsumerMember,
  consumerGroupNeedsReconcile,
  ensureConsumerGroup,
  findConsumerGroup,
  getConsumerGroupState,
  getConsumerPollState,
  getShardletRow,
  listShardletsWithHome,
  reconcileConsumerGroup,
  removeConsumerMember,
  touchConsumerMember,
  type ConsumerGroupInfo,
  type ConsumerGroupState,
  type ControlDb,
  type DurableRead,
} from "@shardcast/db";
import type { ConsumerProgress, Logger, SequenceAllocator } from "@shardcast/runtime";
import type { IssuedPositions } from "../issued-positions.ts";
import type { RouteEntry, RoutingCache } from "../routing-cache.ts";
import type { ReaderIdentity } from "../telemetry/counters.ts";
import type { RangeSource } from "../cache/cached-reader.ts";
import { checkGroupScope, checkMemberKey, type GroupCaller } from "./access.ts";
import { describeGroup } from "./describe.ts";
import { applyCommits, commitAndReadHeld, heldCursors, type CursorCommit } from "./group-cursors.ts";
import { toAssignment, type Assignment, type PollResult } from "./assignments.ts";
import { readPollPage, type PollPageDeps } from "./poll-page.ts";
import { touchMember, type LongPollDeps } from "./long-poll.ts";
import type { RangePart } from "./range-reader.ts";

export interface CoordinatorDeps {
  db: ControlDb;
  routing: RoutingCache;
  sequences: SequenceAllocator;
  progress: ConsumerProgress;
  reader: RangeSource;
  settings: () => Promise<ConsumerSettings>;
  log: Logger;
  clock?: () => number;
  /** Refuses shardlet reads after a position no write was given (absent: an empty page). */
  issued?: IssuedPositions;
  /** Most consumer groups per stream: a join that would create one more is refused (absent: no limit). */
  maxGroupsPerStream?: number;
  /** Read a member's next page into the cache while it works on this one (default true; needs the cache). */
  readAhead?: boolean;
}

/** Groups whose ids an edge remembers (oldest forgotten first). */
const MAX_CACHED_GROUPS = 10_000;

/**
 * The edge's side of consumer groups (docs/consumers.md): joins, polls, commits, heartbeats and
 * leaves. Membership and assignments live in the control database (changed under the group's row
 * lock by `reconcileConsumerGroup`); committed cursors live in Redis, with the durable checkpoints
 * behind them. Every edge can serve every member: nothing here is kept in memory between requests.
 */
export class ConsumerCoordinator {
  private readonly clock: () => number;
  private readonly groups = new Map<string, ConsumerGroupInfo>();
  private readonly waits: LongPollDeps;
  private readonly pages: PollPageDeps;

  constructor(private readonly deps: CoordinatorDeps) {
    this.clock = deps.clock ?? Date.now;
    this.waits = { db: deps.db, sequences: deps.sequences, reader: deps.reader, clock: this.clock };
    this.pages = { ...this.waits, progress: deps.progress, log: deps.log, readAhead: deps.readAhead ?? true, gate: new ReadAheadGate(this.clock) };
  }

  private async stream(name: string): Promise<RouteEntry> {
    const entry = await this.deps.routing.get(name);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${name}"`);
    return entry;
  }

  private remember(g: ConsumerGroupInfo): ConsumerGroupInfo {
    if (this.groups.size >= MAX_CACHED_GROUPS) this.groups.delete(this.groups.keys().next().value!);
    this.groups.set(`${g.streamId}\u0000${g.name}`, g);
    return g;
  }

  private async group(entry: RouteEntry, name: string): Promise<ConsumerGroupInfo> {
    // A group's id and start never change, so each edge looks a group up once.
    const cached = this.groups.get(`${entry.meta.id}\u0000${name}`);
    if (cached) return cached;
    const g = await findConsumerGroup(this.deps.db, entry.meta.id, name);
    if (!g) throw new ShardcastError("not_found", `unknown consumer group "${name}" on stream "${entry.meta.name}"`);
    return this.remember(g);
  }

  /**
   * The group with its members and assignments, and with `pollOf` the durable checkpoints of that
   * member's shardlets (read in the same statement); a group deleted since it was cached is looked
   * up again (it may exist anew).
   */
  private async groupState(entry: RouteEntry, name: string, pollOf?: string): Promise<{ g: ConsumerGroupInfo; state: ConsumerGroupState; durable?: DurableRead }> {
    const read = async (id: string) => {
      if (pollOf === undefined) {
        const state = await getConsumerGroupState(this.deps.db, id);
        return state && { state };
      }
      return getConsumerPollState(this.deps.db, id, pollOf);
    };
    const g = await this.group(entry, name);
    const found = await read(g.id);
    if (found) return { g, ...found };
    this.groups.delete(`${entry.meta.id}\u0000${name}`);
    const again = await this.group(entry, name);
    const fresh = again.id === g.id ? null : await read(again.id);
    if (!fresh) throw new ShardcastError("not_found", `unknown consumer group "${name}" on stream "${entry.meta.name}"`);
    return { g: again, ...fresh };
  }

  private async member(caller: GroupCaller, entry: RouteEntry, groupName: string, memberId: string, polling = false) {
    checkGroupScope(caller, groupName);
    const { g, state, durable } = await this.groupState(entry, groupName, polling ? memberId : undefined);
    const me = state.members.find((m) => m.id === memberId);
    if (me) checkMemberKey(caller, me, groupName);
    if (!me || me.lastSeenAt + me.sessionTimeoutMs < this.clock()) {
      throw new ShardcastError("not_found", `member "${memberId}" is not in group "${groupName}" (its session may have expired): join again`);
    }
    return { g, state, me, durable };
  }

  private heartbeatMs(sessionTimeoutMs: number): number {
    return Math.max(500, Math.floor(sessionTimeoutMs / 3));
  }

  private async reconcile(g: ConsumerGroupInfo, pollingMemberId?: string): Promise<ConsumerGroupState> {
    const settings = await this.deps.settings();
    const res = await reconcileConsumerGroup(this.deps.db, g.id, {
      now: this.clock(),
      handoffTimeoutMs: settings.handoffTimeoutMs,
      pollingMemberId,
      sealCursors: (ids) => this.deps.progress.seal(g.id, ids),
      weighting: settings.memberWeighting,
    });
    await this.deps.progress.putMissing(g.id, res.handedOn);
    await this.deps.progress.forget(g.id, res.retired);
    return res.state;
  }

  private async needsReconcile(entry: RouteEntry, state: ConsumerGroupState, memberId?: string): Promise<boolean> {
    const routed = new Set(entry.table.all().map((s) => s.id));
    const { memberWeighting } = await this.deps.settings();
    return consumerGroupNeedsReconcile(state, routed, this.clock(), memberId, memberWeighting);
  }

  async join(
    caller: GroupCaller,
    streamName: string,
    groupName: string,
    body: { name?: string | undefined; sessionTimeoutMs?: number | undefined; start?: "earliest" | "latest" | undefined; joinToken?: string | undefined },
  ) {
    checkGroupScope(caller, groupName);
    const entry = await this.stream(streamName);
    const settings = await this.deps.settings();
    const startSeq = body.start === "latest" ? await this.deps.sequences.watermark(entry.meta.id) : 0;
    const g = this.remember(await ensureConsumerGroup(this.deps.db, { streamId: entry.meta.id, name: groupName, startSeq, maxPerStream: this.deps.maxGroupsPerStream }));
    // The member is bound to the joining key: every later request for it must come with that key.
    // A retried join (same token) gets the member its first attempt added, with that one's session.
    const me = await addConsumerMember(this.deps.db, {
      groupId: g.id,
      name: body.name ?? "member",
      sessionTimeoutMs: body.sessionTimeoutMs ?? settings.sessionTimeoutMs,
      apiKeyId: caller.id,
      joinToken: body.joinToken,
      now: this.clock(),
    });
    const state = await this.reconcile(g);
    return {
      memberId: me.id,
      group: g.name,
      heartbeatIntervalMs: this.heartbeatMs(me.sessionTimeoutMs),
      sessionTimeoutMs: me.sessionTimeoutMs,
      assignments: await this.assignmentsOf(entry, g, state, me.id),
    };
  }

  private async assignmentsOf(entry: RouteEntry, g: ConsumerGroupInfo, state: ConsumerGroupState, memberId: string): Promise<Assignment[]> {
    const mine = state.assignments.filter((a) => a.memberId === memberId);
    const cursors = await heldCursors(this.deps, entry, g, mine);
    return mine.flatMap((a) => toAssignment(entry, a, cursors.get(a.shardletId)));
  }

  async poll(
    caller: GroupCaller,
    streamName: string,
    groupName: string,
    memberId: string,
    body: {
      commits?: CursorCommit[] | undefined;
      limit?: number | undefined;
      maxWaitMs?: number | undefined;
      stats?: { events: number; processingMs: number } | undefined;
      telemetry?: MemberTelemetry | undefined;
    },
    reader?: ReaderIdentity,
  ): Promise<PollResult> {
    const entry = await this.stream(streamName);
    const { g, state: before, me, durable } = await this.member(caller, entry, groupName, memberId, true);
    // Without a reconcile, the assignments read are the ones the poll reads for: the commits, the
    // processing figures and the held cursors go to Redis in one script. A reconcile waits for
    // the commits (a hand-off away from this member needs them) and changes what it holds.
    const reconciling = await this.needsReconcile(entry, before, memberId);
    const [done, seenAt] = await Promise.all([
      commitAndReadHeld(this.deps, entry, g, before, memberId, body.commits ?? [], {
        held: reconciling ? null : before.assignments.filter((a) => a.memberId === memberId),
        durable,
        stats: body.stats,
      }),
      // The member's touch does not depend on the commits: beside them.
      touchMember(this.waits, me.id, me.lastSeenAt, body.telemetry),
    ]);
    const state = reconciling ? await this.reconcile(g, memberId) : before;
    const mine = state.assignments.filter((a) => a.memberId === memberId);
    const cursors = done.cursors ?? (await heldCursors(this.deps, entry, g, mine, durable));
    const held = mine.flatMap((a) => toAssignment(entry, a, cursors.get(a.shardletId)));
    const parts: RangePart[] = held.map((a) => ({ shardletId: a.shardletId, lo: a.lo, hi: a.hi, cursor: cursors.get(a.shardletId)! }));
    const limit = body.limit ?? 500;
    const deadline = this.clock() + (body.maxWaitMs ?? 0);
    const { page, assignments, snapshot } = await readPollPage(this.pages, { entry, g, memberId: me.id, seenAt, deadline, parts, limit, reader, watermark: done.watermark, held, workMs: body.stats?.processingMs });
    return {
      assignments,
      batches: assignments.map((a) => ({ shardletId: a.shardletId, generation: a.generation, events: page.events.get(a.shardletId) ?? [], next: Math.max(page.next, a.position) })),
      snapshot: snapshot.filter((s) => assignments.some((a) => a.shardletId === s.shardletId)),
      watermark: page.watermark,
      heartbeatIntervalMs: this.heartbeatMs(me.sessionTimeoutMs),
    };
  }

  async commit(caller: GroupCaller, streamName: string, groupName: string, memberId: string, commits: CursorCommit[]): Promise<{ committed: CursorCommit[] }> {
    const entry = await this.stream(streamName);
    const { g, state, me } = await this.member(caller, entry, groupName, memberId);
    await applyCommits(this.deps, entry, g, state, memberId, commits);
    await touchMember(this.waits, me.id, me.lastSeenAt);
    return { committed: commits };
  }

  async heartbeat(
    caller: GroupCaller,
    streamName: string,
    groupName: string,
    memberId: string,
    telemetry?: MemberTelemetry,
  ): Promise<{ assignments: Assignment[]; heartbeatIntervalMs: number }> {
    const entry = await this.stream(streamName);
    const { g, state: before, me } = await this.member(caller, entry, groupName, memberId);
    await touchConsumerMember(this.deps.db, me.id, new Date(this.clock()), telemetry);
    // A heartbeat carries no commits, so hand-offs away from this member wait for its poll.
    const state = (await this.needsReconcile(entry, before)) ? await this.reconcile(g) : before;
    return { assignments: await this.assignmentsOf(entry, g, state, memberId), heartbeatIntervalMs: this.heartbeatMs(me.sessionTimeoutMs) };
  }

  async leave(caller: GroupCaller, streamName: string, groupName: string, memberId: string, commits: CursorCommit[]): Promise<{ ok: true }> {
    const entry = await this.stream(streamName);
    const { g, state } = await this.member(caller, entry, groupName, memberId);
    await applyCommits(this.deps, entry, g, state, memberId, commits);
    await removeConsumerMember(this.deps.db, memberId, "leave");
    await this.reconcile(g);
    return { ok: true };
  }

  /** The stream's routed shardlets with their parents (lineage). */
  async shardlets(streamName: string) {
    const entry = await this.stream(streamName);
    const routes = entry.table.all();
    const rows = await listShardletsWithHome(this.deps.db, routes.map((s) => s.id));
    const parents = new Map(rows.map((r) => [r.id, [r.parentId, r.mergedFromId].filter((p): p is string => p !== null)]));
    return { shardlets: routes.map((s) => ({ id: s.id, lo: s.lo, hi: s.hi, state: s.state, parents: parents.get(s.id) ?? [] })) };
  }

  /** One shardlet's events after a position; a retired shardlet's range is read where it lives now. */
  async readShardlet(streamName: string, shardletId: string, after: number, limit: number, reader?: ReaderIdentity) {
    const entry = await this.stream(streamName);
    const route = entry.table.byId(shardletId) ?? (await getShardletRow(this.deps.db, shardletId));
    if (!route || ("streamId" in route && route.streamId !== entry.meta.id)) throw new ShardcastError("not_found", `unknown shardlet "${shardletId}" on stream "${streamName}"`);
    const lo = Number(route.lo);
    const hi = Number(route.hi);
    const page = await this.deps.reader.read(entry, [{ shardletId, lo, hi, cursor: freshCursor(lo, hi, after) }], limit, reader);
    if (after > page.watermark) await this.deps.issued?.check(entry, after);
    return { events: page.events.get(shardletId) ?? [], watermark: page.watermark, next: Math.max(page.next, after), ...(page.cache ? { cache: page.cache } : {}) };
  }

  async describe(caller: GroupCaller, streamName: string, groupName: string) {
    checkGroupScope(caller, groupName);
    const entry = await this.stream(streamName);
    const { g, state } = await this.groupState(entry, groupName);
    return describeGroup(this.deps, entry, g, state, caller);
  }
}
