import { parseMemberTelemetry, type MemberTelemetry } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { msOf, sqlRows, type SqlQuery } from "../sql.ts";

export interface ConsumerMemberInfo {
  id: string;
  groupId: string;
  name: string;
  sessionTimeoutMs: number;
  joinedAt: number;
  lastSeenAt: number;
  /** The API key that joined the member (null: joined before keys were recorded). */
  apiKeyId: string | null;
  /** The latest telemetry the member sent (null: none, or a client that sends none). */
  telemetry: MemberTelemetry | null;
  telemetryAt: number | null;
  /** The processing rate assignment weighs the member by (null: not measured; see memberWeights). */
  capacity: number | null;
}

// Every poll reads its group's members and touches its own: plain SQL (see sql.ts).
export const MEMBER_COLUMNS = [
  `id, group_id AS "groupId", name, session_timeout_ms AS "sessionTimeoutMs", ${msOf("joined_at")} AS "joinedAt", ${msOf("last_seen_at")} AS "lastSeenAt"`,
  `api_key_id AS "apiKeyId", telemetry, ${msOf("telemetry_at")} AS "telemetryAt", capacity`,
].join(", ");
export type MemberSqlRow = Omit<ConsumerMemberInfo, "telemetry"> & { telemetry: unknown };
/** A member read by plain SQL: the telemetry column is checked as it would be through Prisma. */
export const memberOf = (r: MemberSqlRow): ConsumerMemberInfo => ({ ...r, telemetry: parseMemberTelemetry(r.telemetry) });

/**
 * Records a member's heartbeat, with its telemetry when it sent some (one statement: the heartbeat
 * write every poll may make anyway); false when the member is gone (expired or left).
 */
export async function touchConsumerMember(db: ControlDb, memberId: string, at: Date = new Date(), telemetry?: MemberTelemetry): Promise<boolean> {
  // The time is written as epoch milliseconds so the stored UTC value does not depend on any session's zone.
  const ts = "to_timestamp($2::float8 / 1000) AT TIME ZONE 'UTC'";
  const rows =
    telemetry === undefined
      ? await sqlRows<{ id: string }>(db, `UPDATE consumer_members SET last_seen_at = ${ts} WHERE id = $1 RETURNING id`, [memberId, at.getTime()])
      : await sqlRows<{ id: string }>(db, `UPDATE consumer_members SET last_seen_at = ${ts}, telemetry = $3::jsonb, telemetry_at = ${ts} WHERE id = $1 RETURNING id`, [
          memberId,
          at.getTime(),
          JSON.stringify(telemetry),
        ]);
  return rows.length > 0;
}

/** Stores the processing rates assignment now weighs members by (null: not measured), in one statement. */
export async function setMemberCapacities(q: SqlQuery, capacities: ReadonlyMap<string, number | null>): Promise<void> {
  if (capacities.size === 0) return;
  await q("UPDATE consumer_members m SET capacity = v.capacity FROM unnest($1::text[], $2::float8[]) AS v(id, capacity) WHERE m.id = v.id", [[...capacities.keys()], [...capacities.values()]]);
}
