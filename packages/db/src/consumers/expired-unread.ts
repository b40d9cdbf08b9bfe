import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { sqlOf } from "../sql.ts";
import { logGroupEvents } from "./groups.ts";

/**
 * Events retention forgot before a consumer group read them: counted by `retention.enforce` when
 * it moves a stream's start, kept per group (a total and when it last grew), and logged as a group
 * event, so a group that fell behind its stream's retention is told, never silently skipped.
 */
export interface ExpiredUnread {
  events: number;
  /** When the count last grew (null: never). */
  at: Date | null;
}

export interface StartMove {
  streamId: string;
  /** The start the run read from the control database, and the one it moves to. */
  fromSeq: number;
  toSeq: number;
  oldestEventAt: Date | null;
  /** Per group, the unread events the move forgets (groups with none are left out). */
  groups: ReadonlyArray<{ groupId: string; events: number }>;
}

/**
 * Moves a stream's start and adds what the move forgot to its groups' counts, in one transaction,
 * only if the start is still the one the run read: a run that recorded the hosts' starts and died
 * before this, or one racing another, never counts the same positions twice. False: another run
 * moved the start first (its counts stand).
 */
export async function recordStartMove(db: ControlDb, m: StartMove): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const moved = await tx.$executeRaw`
      UPDATE streams SET start_seq = ${m.toSeq}, oldest_event_at = ${m.oldestEventAt}::timestamp(3)
      WHERE id = ${m.streamId} AND start_seq = ${m.fromSeq}`;
    if (moved === 0) return false;
    const groups = m.groups.filter((g) => g.events > 0);
    if (groups.length === 0) return true;
    await tx.$executeRaw`
      UPDATE consumer_groups AS g SET expired_unread_events = g.expired_unread_events + v.events, expired_unread_at = now()
      FROM unnest(${groups.map((g) => g.groupId)}::text[], ${groups.map((g) => Math.round(g.events))}::bigint[]) AS v(id, events)
      WHERE g.id = v.id AND g.stream_id = ${m.streamId}`;
    await logGroupEvents(
      sqlOf(tx),
      groups.map((g) => ({
        groupId: g.groupId,
        kind: "expired_unread",
        memberId: null,
        shardletIds: [],
        detail: `${g.events} event(s) expired before the group read them: the stream now starts at position ${m.toSeq} (was ${m.fromSeq})`,
      })),
    );
    return true;
  });
}

/** Each group's expired-unread count (groups not asked for, or unknown, are absent). */
export async function expiredUnreadOf(db: ControlDb, groupIds: readonly string[]): Promise<Map<string, ExpiredUnread>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db.$queryRaw<Array<{ id: string; events: bigint; at: Date | null }>>`
    SELECT id, expired_unread_events AS events, expired_unread_at AS at FROM consumer_groups WHERE id = ANY(${[...groupIds]}::text[])`;
  return new Map(rows.map((r) => [r.id, { events: num(r.events), at: r.at }]));
}

/** Every group with events expired unread, by stream and group name (the metrics scrape). */
export async function listExpiredUnread(db: ControlDb): Promise<Array<{ stream: string; group: string; events: number }>> {
  const rows = await db.$queryRaw<Array<{ stream: string; group: string; events: bigint }>>`
    SELECT s.name AS stream, g.name AS "group", g.expired_unread_events AS events
    FROM consumer_groups g JOIN streams s ON s.id = g.stream_id
    WHERE g.expired_unread_events > 0 ORDER BY s.name, g.name`;
  return rows.map((r) => ({ stream: r.stream, group: r.group, events: num(r.events) }));
}
