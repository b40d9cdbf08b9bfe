import { parseMemberTelemetry, ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { isForeignKeyViolation, isUniqueViolation, num } from "../errors.ts";
import { msOf, sqlRows } from "../sql.ts";
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
type MemberRow = {
  id: string;
  groupId: string;
  name: string;
  sessionTimeoutMs: number;
  joinedAt: Date;
  lastSeenAt: Date;
  apiKeyId: string | null;
  telemetry: unknown;
  telemetryAt: Date | null;
  capacity: number | null;
};
type AssignmentRow = {
  groupId: string;
  shardletId: string;
  memberId: string | null;
  generation: number;
  nextMemberId: string | null;
  handoffDeadline: Date | null;
  assignedAt: Date;
  committedSeq: bigint | null;
  lagEvents: bigint | null;
  lagSeconds: number | null;
  lagAt: Date | null;
};

export function toGroup(r: GroupRow): ConsumerGroupInfo {
  return { id: r.id, streamId: r.streamId, name: r.name, startSeq: num(r.startSeq), generation: r.generation, createdAt: r.createdAt.getTime() };
}

export function toMember(r: MemberRow): ConsumerMemberInfo {
  return {
    id: r.id,
    groupId: r.groupId,
    name: r.name,
    sessionTimeoutMs: r.sessionTimeoutMs,
    joinedAt: r.joinedAt.getTime(),
    lastSeenAt: r.lastSeenAt.getTime(),
    apiKeyId: r.apiKeyId,
    telemetry: parseMemberTelemetry(r.telemetry),
    telemetryAt: r.telemetryAt?.getTime() ?? null,
    capacity: r.capacity,
  };
}

export function toAssignment(r: AssignmentRow): ConsumerAssignmentInfo {
  return {
    groupId: r.groupId,
    shardletId: r.shardletId,
    memberId: r.memberId,
    generation: r.generation,
    nextMemberId: r.nextMemberId,
    handoffDeadline: r.handoffDeadline?.getTime() ?? null,
    assignedAt: r.assignedAt.getTime(),
    committedSeq: r.committedSeq === null ? null : num(r.committedSeq),
    lagEvents: r.lagEvents === null ? null : num(r.lagEvents),
    lagSeconds: r.lagSeconds,
    lagAt: r.lagAt?.getTime() ?? null,
  };
}

// Every poll reads its group, members and assignments and touches its member: plain SQL (see sql.ts).
const GROUP_COLUMNS = `id, stream_id AS "streamId", name, start_seq::float8 AS "startSeq", generation, ${msOf("created_at")} AS "createdAt"`;
const ASSIGNMENT_COLUMNS = [
  `group_id AS "groupId", shardlet_id AS "shardletId", member_id AS "memberId", generation, next_member_id AS "nextMemberId"`,
  `${msOf("handoff_deadline")} AS "handoffDeadline", ${msOf("assigned_at")} AS "assignedAt", committed_seq::float8 AS "committedSeq"`,
  `lag_events::float8 AS "lagEvents", lag_seconds AS "lagSeconds", ${msOf("lag_at")} AS "lagAt"`,
].join(", ");

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
  const data = { streamId: input.streamId, name: input.name, startSeq: BigInt(input.startSeq) };
  const max = input.maxPerStream;
  try {
    if (max === undefined) return toGroup(await db.consumerGroup.create({ data }));
    return await db.$transaction(async (tx) => {
      await xactLock(tx, `consumer-groups:${input.streamId}`);
      // A concurrent join may have created this very group while this one waited for the lock.
      const made = await tx.consumerGroup.findUnique({ where: { streamId_name: { streamId: input.streamId, name: input.name } } });
      if (made) return toGroup(made);
      const groups = await tx.consumerGroup.count({ where: { streamId: input.streamId } });
      if (groups >= max) {
        throw new ShardcastError(
          "conflict",
          `the stream has ${groups} consumer groups, the most it may have (${max}): delete groups no longer used (the console's Consumers page) before creating group "${input.name}"`,
          { groups, max },
        );
      }
      return toGroup(await tx.consumerGroup.create({ data }));
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const again = await findConsumerGroup(db, input.streamId, input.name);
    if (!again) throw new ShardcastError("unavailable", "consumer group was created and deleted concurrently; retry", undefined, { cause: err });
    return again;
  }
}

export async function listConsumerGroups(db: ControlDb, streamId?: string): Promise<ConsumerGroupInfo[]> {
  const rows = await db.consumerGroup.findMany({ where: streamId ? { streamId } : {}, orderBy: [{ streamId: "asc" }, { name: "asc" }] });
  return rows.map(toGroup);
}

/** Members and assignments of a group, read together. */
export async function getConsumerGroupState(db: ControlDb, groupId: string): Promise<ConsumerGroupState | null> {
  // Three reads side by side rather than one nested read, which runs them one after the other:
  // every poll of every member asks for this.
  const [groups, members, assignments] = await Promise.all([
    sqlRows<ConsumerGroupInfo>(db, `SELECT ${GROUP_COLUMNS} FROM consumer_groups WHERE id = $1`, [groupId]),
    sqlRows<MemberSqlRow>(db, `SELECT ${MEMBER_COLUMNS} FROM consumer_members WHERE group_id = $1 ORDER BY joined_at ASC, id ASC`, [groupId]),
    sqlRows<ConsumerAssignmentInfo>(db, `SELECT ${ASSIGNMENT_COLUMNS} FROM consumer_assignments WHERE group_id = $1 ORDER BY shardlet_id ASC`, [groupId]),
  ]);
  const group = groups[0];
  if (!group) return null;
  return { group, members: members.map(memberOf), assignments };
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
  let row: MemberRow;
  try {
    row = await db.consumerMember.create({ data: { groupId: input.groupId, name: input.name, sessionTimeoutMs: input.sessionTimeoutMs, apiKeyId, joinToken } });
  } catch (err) {
    // The group was deleted between its lookup and this insert: a join again creates it afresh.
    if (isForeignKeyViolation(err)) throw new ShardcastError("unavailable", "the consumer group was deleted while joining; join again", undefined, { cause: err });
    throw err;
  }
  await logGroupEvent(db, { groupId: input.groupId, kind: "join", memberId: row.id, shardletIds: [], detail: `${input.name} joined` });
  return toMember(row);
}

/** Removes a member; its shardlets are reassigned by the next reconcile. False when it was already gone. */
export async function removeConsumerMember(db: ControlDb, memberId: string, why: "leave" | "expire"): Promise<boolean> {
  const row = await db.consumerMember.findUnique({ where: { id: memberId } });
  if (!row) return false;
  const res = await db.consumerMember.deleteMany({ where: { id: memberId } });
  if (res.count === 0) return false;
  await logGroupEvent(db, { groupId: row.groupId, kind: why, memberId, shardletIds: [], detail: why === "leave" ? `${row.name} left` : `${row.name}'s session expired` });
  return true;
}

export interface GroupEventInput {
  groupId: string;
  kind: "join" | "leave" | "expire" | "assign" | "handoff" | "lineage" | "generation_floor" | "expired_unread";
  memberId: string | null;
  shardletIds: readonly string[];
  detail: string;
}

type EventWriter = Pick<ControlDb, "consumerGroupEvent">;

export async function logGroupEvent(db: EventWriter, e: GroupEventInput): Promise<void> {
  await db.consumerGroupEvent.create({ data: { groupId: e.groupId, kind: e.kind, memberId: e.memberId, shardletIds: [...e.shardletIds], detail: e.detail.slice(0, 1000) } });
}

export async function logGroupEvents(db: EventWriter, events: readonly GroupEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await db.consumerGroupEvent.createMany({
    data: events.map((e) => ({ groupId: e.groupId, kind: e.kind, memberId: e.memberId, shardletIds: [...e.shardletIds], detail: e.detail.slice(0, 1000) })),
  });
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
