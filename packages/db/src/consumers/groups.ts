import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { isForeignKeyViolation, isUniqueViolation, num } from "../errors.ts";
import { msOf, newRowId, sqlOf, sqlRows, sqlTransaction, utc, type SqlQuery } from "../sql.ts";
import { xactLock } from "../xact-lock.ts";
import { MEMBER_COLUMNS, memberOf, touchConsumerMember, type ConsumerMemberInfo, type MemberSqlRow } from "./member-rows.ts";

export interface ConsumerGroupInfo {
  id: string;
  streamId: string;
  name: string;
  startSeq: number;
  generation: number;
  createdAt: number;
}

export interface ConsumerAssignmentInfo {
  groupId: string;
  shardletId: string;
  memberId: string | null;
  generation: number;
  nextMemberId: string | null;
  handoffDeadline: number | null;
  assignedAt: number;
  committedSeq: number | null;
  lagEvents: number | null;
  lagSeconds: number | null;
  lagAt: number | null;
}

export interface ConsumerGroupState {
  group: ConsumerGroupInfo;
  members: ConsumerMemberInfo[];
  assignments: ConsumerAssignmentInfo[];
}

type GroupRow = { id: string; streamId: string; name: string; startSeq: bigint; generation: number; createdAt: Date };
export function toGroup(r: GroupRow): ConsumerGroupInfo {
  return { id: r.id, streamId: r.streamId, name: r.name, startSeq: num(r.startSeq), generation: r.generation, createdAt: r.createdAt.getTime() };
}

// Every poll reads its group (group-state.ts): plain SQL (see sql.ts).
export const GROUP_COLUMNS = `id, stream_id AS "streamId", name, start_seq::float8 AS "startSeq", generation, ${msOf("created_at")} AS "createdAt"`;

export async function findConsumerGroup(db: ControlDb, streamId: string, name: string): Promise<ConsumerGroupInfo | null> {
  const rows = await sqlRows<ConsumerGroupInfo>(db, `SELECT ${GROUP_COLUMNS} FROM consumer_groups WHERE stream_id = $1 AND name = $2`, [streamId, name]);
  return rows[0] ?? null;
}

/**
 * The group, created with `startSeq` if it does not exist yet (concurrent creators get the same row).
 * With `maxPerStream`, a new group that would take its stream past that many is refused
 * (`conflict`) and nothing is stored: creations on one stream are serialised, so concurrent joins
 * cannot pass the cap together.
 */
export async function ensureConsumerGroup(
  db: ControlDb,
  input: { streamId: string; name: string; startSeq: number; maxPerStream?: number | undefined },
): Promise<ConsumerGroupInfo> {
  const found = await findConsumerGroup(db, input.streamId, input.name);
  if (found) return found;
  const max = input.maxPerStream;
  // Plain SQL: every first join of a group makes it (see sql.ts).
  const insert = (q: SqlQuery) =>
    q<ConsumerGroupInfo>(
      `INSERT INTO consumer_groups (id, stream_id, name, start_seq, created_at) VALUES ($1, $2, $3, $4, $5::timestamp)
       ON CONFLICT (stream_id, name) DO NOTHING RETURNING ${GROUP_COLUMNS}`,
      [newRowId(), input.streamId, input.name, input.startSeq, utc(new Date())],
    );
  let made: ConsumerGroupInfo[];
  try {
    made =
      max === undefined
        ? await insert(sqlOf(db))
        : await sqlTransaction(db, async (q) => {
            await xactLock(q, `consumer-groups:${input.streamId}`);
            // A concurrent join may have created this very group while this one waited for the lock.
            const [counted] = await q<{ groups: number; made: boolean }>("SELECT count(*)::int AS groups, bool_or(name = $2) AS made FROM consumer_groups WHERE stream_id = $1", [
              input.streamId,
              input.name,
            ]);
            if (counted?.made) return [];
            const groups = counted?.groups ?? 0;
            if (groups >= max) {
              throw new ShardcastError(
                "conflict",
                `the stream has ${groups} consumer groups, the most it may have (${max}): delete groups no longer used (the console's Consumers page) before creating group "${input.name}"`,
                { groups, max },
              );
            }
            return insert(q);
          });
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new ShardcastError("not_found", "the stream was deleted while its consumer group was created", undefined, { cause: err });
    throw err;
  }
  if (made[0]) return made[0];
  // Another join created it first.
  const again = await findConsumerGroup(db, input.streamId, input.name);
  if (!again) throw new ShardcastError("unavailable", "consumer group was created and deleted concurrently; retry");
  return again;
}

export async function listConsumerGroups(db: ControlDb, streamId?: string): Promise<ConsumerGroupInfo[]> {
  const rows = await db.consumerGroup.findMany({ where: streamId ? { streamId } : {}, orderBy: [{ streamId: "asc" }, { name: "asc" }] });
  return rows.map(toGroup);
}

export interface NewConsumerMember {
  groupId: string;
  name: string;
  sessionTimeoutMs: number;
  /** The API key that joins; absent: bound to none. */
  apiKeyId?: string | null | undefined;
  /** The client's token for this join (see `addConsumerMember`). */
  joinToken?: string | undefined;
  /** Now (ms), for telling a live member from an expired one. Default: the clock. */
  now?: number | undefined;
}

/**
 * Adds a member, bound to the API key that joined it (`apiKeyId`; absent: bound to none).
 *
 * With a `joinToken`, a join is idempotent: a live member of the group joined by the same key with
 * the same token is answered (and touched) instead of adding another, so a join retried after its
 * answer was lost leaves no second member holding shardlets it never polls. The lookup is bound to
 * the key: a token never reaches another key's member. An expired member with the token is removed
 * and a new one added, as a join after a lost session would.
 */
export async function addConsumerMember(db: ControlDb, input: NewConsumerMember): Promise<ConsumerMemberInfo> {
  const token = input.joinToken;
  const apiKeyId = input.apiKeyId ?? null;
  // A token without a key would match any keyless member: tokens are honoured for bound members only.
  if (token === undefined || apiKeyId === null) return insertMember(db, input, apiKeyId, null);
  const now = input.now ?? Date.now();
  for (let attempt = 0; ; attempt++) {
    const found = await memberByToken(db, input.groupId, apiKeyId, token);
    if (found && found.lastSeenAt + found.sessionTimeoutMs >= now) {
      await touchConsumerMember(db, found.id, new Date(now));
      return { ...found, lastSeenAt: Math.max(found.lastSeenAt, now) };
    }
    if (found) await removeConsumerMember(db, found.id, "expire");
    try {
      return await insertMember(db, input, apiKeyId, token);
    } catch (err) {
      // A concurrent retry of the same join inserted first: the next round answers its member.
      if (!isUniqueViolation(err) || attempt >= 2) throw err;
    }
  }
}

async function memberByToken(db: ControlDb, groupId: string, apiKeyId: string, token: string): Promise<ConsumerMemberInfo | null> {
  const rows = await sqlRows<MemberSqlRow>(db, `SELECT ${MEMBER_COLUMNS} FROM consumer_members WHERE group_id = $1 AND api_key_id = $2 AND join_token = $3`, [
    groupId,
    apiKeyId,
    token,
  ]);
  return rows[0] ? memberOf(rows[0]) : null;
}

async function insertMember(db: ControlDb, input: NewConsumerMember, apiKeyId: string | null, joinToken: string | null): Promise<ConsumerMemberInfo> {
  const now = utc(new Date());
  let rows: MemberSqlRow[];
  try {
    // The member and its join event in one statement: every join makes both.
    rows = await sqlRows<MemberSqlRow>(
      db,
      `WITH m AS (
         INSERT INTO consumer_members (id, group_id, name, session_timeout_ms, api_key_id, join_token, joined_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::timestamp, $7::timestamp) RETURNING *
       ), e AS (
         INSERT INTO consumer_group_events (group_id, kind, member_id, shardlet_ids, detail, at)
         SELECT group_id, 'join', id, '{}', $8, $7::timestamp FROM m
       )
       SELECT ${MEMBER_COLUMNS} FROM m`,
      [newRowId(), input.groupId, input.name, input.sessionTimeoutMs, apiKeyId, joinToken, now, `${input.name} joined`.slice(0, 1000)],
    );
  } catch (err) {
    // The group was deleted between its lookup and this insert: a join again creates it afresh.
    if (isForeignKeyViolation(err)) throw new ShardcastError("unavailable", "the consumer group was deleted while joining; join again", undefined, { cause: err });
    throw err;
  }
  return memberOf(rows[0]!);
}

/** Removes a member; its shardlets are reassigned by the next reconcile. False when it was already gone. */
export async function removeConsumerMember(db: ControlDb, memberId: string, why: "leave" | "expire"): Promise<boolean> {
  // The removal and its event in one statement (every leave makes both); a member already gone logs nothing.
  const rows = await sqlRows<{ id: string }>(
    db,
    `WITH m AS (DELETE FROM consumer_members WHERE id = $1 RETURNING id, group_id, name), e AS (
       INSERT INTO consumer_group_events (group_id, kind, member_id, shardlet_ids, detail, at)
       SELECT group_id, $2, id, '{}', left(name || $3, 1000), $4::timestamp FROM m
     )
     SELECT id FROM m`,
    [memberId, why, why === "leave" ? " left" : "'s session expired", utc(new Date())],
  );
  return rows.length > 0;
}

export interface GroupEventInput {
  groupId: string;
  kind: "join" | "leave" | "expire" | "assign" | "handoff" | "lineage" | "generation_floor" | "expired_unread";
  memberId: string | null;
  shardletIds: readonly string[];
  detail: string;
}

/** Logs group events in one statement, on a client or inside a transaction (`sqlOf`). */
export async function logGroupEvents(q: SqlQuery, events: readonly GroupEventInput[], at: Date = new Date()): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ g: e.groupId, k: e.kind, m: e.memberId, s: [...e.shardletIds], d: e.detail.slice(0, 1000) }));
  await q(
    `INSERT INTO consumer_group_events (group_id, kind, member_id, shardlet_ids, detail, at)
     SELECT e->>'g', e->>'k', e->>'m', ARRAY(SELECT jsonb_array_elements_text(e->'s')), e->>'d', $2::timestamp
     FROM jsonb_array_elements($1::jsonb) AS e`,
    [JSON.stringify(rows), utc(at)],
  );
}

export interface GroupEventInfo extends Omit<GroupEventInput, "shardletIds"> {
  id: number;
  shardletIds: string[];
  at: number;
}

export async function listGroupEvents(db: ControlDb, groupId: string, limit: number): Promise<GroupEventInfo[]> {
  const rows = await db.consumerGroupEvent.findMany({ where: { groupId }, orderBy: { id: "desc" }, take: limit });
  return rows.map((r) => ({ id: num(r.id), groupId: r.groupId, kind: r.kind as GroupEventInput["kind"], memberId: r.memberId, shardletIds: r.shardletIds, detail: r.detail, at: r.at.getTime() }));
}

/** The checkpoint job's lag figures for the console. */
export async function recordConsumerLag(
  db: ControlDb,
  rows: ReadonlyArray<{ groupId: string; shardletId: string; committedSeq: number; lagEvents: number; lagSeconds: number }>,
  at: Date = new Date(),
): Promise<void> {
  // One statement per row would be a round trip each; the lag of a whole group goes in one.
  if (rows.length === 0) return;
  await db.$executeRaw`
    UPDATE consumer_assignments a SET committed_seq = v.seq, lag_events = v.lag, lag_seconds = v.secs, lag_at = ${at}
    FROM unnest(${rows.map((r) => r.groupId)}::text[], ${rows.map((r) => r.shardletId)}::text[], ${rows.map((r) => BigInt(r.committedSeq))}::bigint[],
                ${rows.map((r) => BigInt(r.lagEvents))}::bigint[], ${rows.map((r) => r.lagSeconds)}::float8[]) AS v(g, s, seq, lag, secs)
    WHERE a.group_id = v.g AND a.shardlet_id = v.s`;
}
