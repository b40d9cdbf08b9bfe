import { utc, type SqlQuery } from "../sql.ts";

/** An assignment row as reconcile reads it under the group's lock. */
export interface HeldRow {
  shardletId: string;
  memberId: string | null;
  generation: number;
  nextMemberId: string | null;
  /** Epoch ms. */
  handoffDeadline: number | null;
}

export interface LineageRow {
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
 * Every shardlet of the stream (lineage included), each with its load: its write rate, or the
 * analyzer's latest forecast of it where that is higher, plus its read rate. One statement.
 */
export async function lineageOf(q: SqlQuery, streamId: string, now: Date): Promise<LineageRow[]> {
  const rows = await q<Omit<LineageRow, "load"> & { forecast: number | null }>(
    `WITH latest AS (
       SELECT f.run_id FROM forecast_points f JOIN analyzer_runs r ON r.id = f.run_id
       WHERE f.stream_id = $1 AND f.metric = 'writes' AND f.bucket_start >= $2::timestamp ORDER BY r.at DESC LIMIT 1
     ), fc AS (
       SELECT shardlet_id, avg(value)::float8 AS rate FROM forecast_points
       WHERE run_id = (SELECT run_id FROM latest) AND stream_id = $1 AND metric = 'writes' AND bucket_start >= $2::timestamp
       GROUP BY shardlet_id
     )
     SELECT s.id, s.lo::float8 AS lo, s.hi::float8 AS hi, s.state::text AS state, s.parent_id AS "parentId", s.merged_from_id AS "mergedFromId",
            s.write_rate AS "writeRate", s.read_rate AS "readRate", fc.rate AS forecast
     FROM shardlets s LEFT JOIN fc ON fc.shardlet_id = s.id
     WHERE s.stream_id = $1`,
    [streamId, utc(now)],
  );
  return rows.map(({ forecast, ...s }) => {
    // Balance by what the shardlets will carry: the forecast where there is one.
    const write = forecast !== null && Number.isFinite(forecast) ? Math.max(s.writeRate, forecast) : s.writeRate;
    return { ...s, load: write + s.readRate };
  });
}

/**
 * Reconcile's changes to a group's assignments, gathered and then written in two statements (one
 * insert, one update) rather than one per shardlet: a group's first join assigns all of them.
 */
export class AssignmentWrites {
  private readonly created: Array<{ id: string; member: string | null; generation: number }> = [];
  private readonly updated: Array<{ id: string; assign: boolean; member: string | null; generation: number; next: string | null; deadline: number | null }> = [];

  get size(): number {
    return this.created.length + this.updated.length;
  }

  /** A shardlet the group did not have yet. */
  create(id: string, member: string | null, generation: number): void {
    this.created.push({ id, member, generation });
  }

  /** A new holder (or none) now, at a new generation; any pending hand-off is over. */
  hand(id: string, member: string | null, generation: number): void {
    this.updated.push({ id, assign: true, member, generation, next: null, deadline: null });
  }

  /** The holder keeps it: a pending hand-off is called off. */
  keepHolder(id: string): void {
    this.updated.push({ id, assign: false, member: null, generation: 0, next: null, deadline: null });
  }

  /** Handed to `next` at the holder's next poll or at `deadline` (epoch ms). */
  handAtDeadline(id: string, next: string, deadline: number): void {
    this.updated.push({ id, assign: false, member: null, generation: 0, next, deadline });
  }

  async apply(q: SqlQuery, groupId: string, now: Date): Promise<void> {
    const at = utc(now);
    if (this.created.length > 0) {
      const c = this.created;
      await q(
        `INSERT INTO consumer_assignments (group_id, shardlet_id, member_id, generation, assigned_at)
         SELECT $1, v.id, v.member, v.generation, $2::timestamp FROM unnest($3::text[], $4::text[], $5::int[]) AS v(id, member, generation)`,
        [groupId, at, c.map((x) => x.id), c.map((x) => x.member), c.map((x) => x.generation)],
      );
    }
    if (this.updated.length > 0) {
      const u = this.updated;
      await q(
        `UPDATE consumer_assignments a SET
           member_id = CASE WHEN v.assign THEN v.member ELSE a.member_id END,
           generation = CASE WHEN v.assign THEN v.generation ELSE a.generation END,
           assigned_at = CASE WHEN v.assign THEN $2::timestamp ELSE a.assigned_at END,
           next_member_id = v.next,
           handoff_deadline = to_timestamp(v.deadline / 1000.0) AT TIME ZONE 'UTC'
         FROM unnest($3::text[], $4::bool[], $5::text[], $6::int[], $7::text[], $8::float8[]) AS v(id, assign, member, generation, next, deadline)
         WHERE a.group_id = $1 AND a.shardlet_id = v.id`,
        [groupId, at, u.map((x) => x.id), u.map((x) => x.assign), u.map((x) => x.member), u.map((x) => x.generation), u.map((x) => x.next), u.map((x) => x.deadline)],
      );
    }
  }
}
