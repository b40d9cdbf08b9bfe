import type { ControlDb } from "../client.ts";
import { msOf, sqlRows } from "../sql.ts";
import { CHECKPOINT_COLUMNS, checkpointOf, type CheckpointRow, type DurableCheckpoint } from "./checkpoints.ts";
import { GROUP_COLUMNS, type ConsumerAssignmentInfo, type ConsumerGroupInfo, type ConsumerGroupState } from "./groups.ts";
import { MEMBER_COLUMNS, memberOf, type MemberSqlRow } from "./member-rows.ts";

// Every poll of every member reads these: plain SQL (see sql.ts).
const ASSIGNMENT_COLUMNS = [
  `group_id AS "groupId", shardlet_id AS "shardletId", member_id AS "memberId", generation, next_member_id AS "nextMemberId"`,
  `${msOf("handoff_deadline")} AS "handoffDeadline", ${msOf("assigned_at")} AS "assignedAt", committed_seq::float8 AS "committedSeq"`,
  `lag_events::float8 AS "lagEvents", lag_seconds AS "lagSeconds", ${msOf("lag_at")} AS "lagAt"`,
].join(", ");

/** Members and assignments of a group, read together. */
export async function getConsumerGroupState(db: ControlDb, groupId: string): Promise<ConsumerGroupState | null> {
  return (await readGroupState(db, groupId, null))?.state ?? null;
}

/** Durable checkpoints read for a set of shardlets: every id in `ids` was asked for, and has one in `checkpoints` if it exists. */
export interface DurableRead {
  ids: ReadonlySet<string>;
  checkpoints: ReadonlyMap<string, DurableCheckpoint>;
}

/**
 * What a member's poll starts from: the group's state and the durable checkpoints of the
 * shardlets assigned to the member, in the same statement (the poll layers its Redis cursors over
 * them, and would otherwise ask for them in a second round trip).
 */
export async function getConsumerPollState(db: ControlDb, groupId: string, memberId: string): Promise<{ state: ConsumerGroupState; durable: DurableRead } | null> {
  const read = await readGroupState(db, groupId, memberId);
  if (!read) return null;
  const ids = new Set(read.state.assignments.filter((a) => a.memberId === memberId).map((a) => a.shardletId));
  const checkpoints = new Map<string, DurableCheckpoint>();
  for (const r of read.checkpoints) {
    const c = ids.has(r.shardletId) ? checkpointOf(r) : null;
    if (c) checkpoints.set(r.shardletId, c);
  }
  return { state: read.state, durable: { ids, checkpoints } };
}

async function readGroupState(db: ControlDb, groupId: string, checkpointsOf: string | null): Promise<{ state: ConsumerGroupState; checkpoints: CheckpointRow[] } | null> {
  // One statement, one round trip: every poll of every member asks for this, and on the edge each
  // statement's socket write and reply cost more than these index lookups do in PostgreSQL (three
  // statements side by side were a quarter of a group poll's edge time in a CPU profile).
  const checkpoints =
    checkpointsOf === null
      ? `'[]'::json`
      : `(SELECT coalesce(json_agg(c), '[]'::json) FROM (SELECT ${CHECKPOINT_COLUMNS} FROM consumer_checkpoints
           WHERE group_id = $1 AND shardlet_id IN (SELECT shardlet_id FROM consumer_assignments WHERE group_id = $1 AND member_id = $2)) c)`;
  const rows = await sqlRows<{ grp: ConsumerGroupInfo | null; members: MemberSqlRow[]; assignments: ConsumerAssignmentInfo[]; checkpoints: CheckpointRow[] }>(
    db,
    `SELECT (SELECT row_to_json(g) FROM (SELECT ${GROUP_COLUMNS} FROM consumer_groups WHERE id = $1) g) AS grp,
            (SELECT coalesce(json_agg(m ORDER BY m."joinedAt", m.id), '[]'::json) FROM (SELECT ${MEMBER_COLUMNS} FROM consumer_members WHERE group_id = $1) m) AS members,
            (SELECT coalesce(json_agg(a ORDER BY a."shardletId"), '[]'::json) FROM (SELECT ${ASSIGNMENT_COLUMNS} FROM consumer_assignments WHERE group_id = $1) a) AS assignments,
            ${checkpoints} AS checkpoints`,
    checkpointsOf === null ? [groupId] : [groupId, checkpointsOf],
  );
  const row = rows[0];
  if (!row?.grp) return null;
  return { state: { group: row.grp, members: row.members.map(memberOf), assignments: row.assignments }, checkpoints: row.checkpoints };
}
