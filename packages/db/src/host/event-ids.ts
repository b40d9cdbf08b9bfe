import type { HostLayout } from "./layout.ts";

/**
 * Where a host keeps producers' event ids (an id is stored once per stream per host). Partitioned
 * layout: two generations, `sc_event_ids` (new ids) and `sc_event_ids_prev` (ids recorded before
 * the last rotation, dropped whole once their events have expired: see id-generations.ts), plus
 * the ids of rows stored before partitioning, which stay in the legacy partition's own unique
 * index (`part < 1` prunes the lookup to that partition, and to nothing once it has expired and
 * been dropped). Legacy layout: the event table's id index.
 *
 * `storedIdsSql`: the (event_id, seq) of stream $1's ids in $2::text[] stored on the host.
 */
export function storedIdsSql(layout: HostLayout): string {
  return layout === "partitioned"
    ? `SELECT event_id, seq FROM sc_event_ids WHERE stream_id = $1 AND event_id = ANY($2::text[])
       UNION ALL
       SELECT event_id, seq FROM sc_event_ids_prev WHERE stream_id = $1 AND event_id = ANY($2::text[])
       UNION ALL
       SELECT event_id, seq FROM sc_events WHERE part < 1 AND stream_id = $1 AND event_id = ANY($2::text[]) AND event_id IS NOT NULL`
    : "SELECT event_id, seq FROM sc_events WHERE stream_id = $1 AND event_id = ANY($2::text[])";
}

/**
 * The id-recording step of a statement inserting the rows of CTE `t` (columns seq, event_id,
 * part) into stream `stream` (a parameter): the ids not stored yet are recorded, and `ids` returns
 * the positions whose ids were recorded now. An event with an id is stored only if its id is in
 * `ids`, so one statement stores the event and its id or neither. Two writers of one id at once:
 * the later one waits for the earlier one's commit and then skips (the primary key's insertion).
 * An id of the previous generation is seen by the statement's snapshot: a rotation cannot fall
 * between two writers of one id (id-generations.ts).
 */
export function recordIdsCte(stream: string): string {
  return `ids AS (
  INSERT INTO sc_event_ids (stream_id, event_id, seq, part)
  SELECT ${stream}, t.event_id, t.seq, t.part FROM t
  WHERE t.event_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM sc_events l WHERE l.part < 1 AND l.stream_id = ${stream} AND l.event_id = t.event_id)
    AND NOT EXISTS (SELECT 1 FROM sc_event_ids_prev o WHERE o.stream_id = ${stream} AND o.event_id = t.event_id)
  ON CONFLICT (stream_id, event_id) DO NOTHING
  RETURNING seq
)`;
}

/**
 * The rows of `t` to store: no id, or an id recorded by `recordIdsCte` in this statement. A write
 * that re-delivers rows (`redelivery`: drains, shadow writes, copies) also stores a row whose id is
 * recorded at the row's own position already (the row itself was lost, or is there and then met by
 * the insert's ON CONFLICT on its position and stored second).
 */
export function storeRowsWhere(stream: string, redelivery: boolean): string {
  const own = (table: string) => `EXISTS (SELECT 1 FROM ${table} x WHERE x.stream_id = ${stream} AND x.event_id = t.event_id AND x.seq = t.seq)`;
  return `t.event_id IS NULL OR t.seq IN (SELECT seq FROM ids)${redelivery ? ` OR ${own("sc_event_ids")} OR ${own("sc_event_ids_prev")}` : ""}`;
}

/**
 * A DELETE of the event rows `picks` names (a SELECT of columns `t`, the row's tableoid, and `c`,
 * its ctid) as CTE `d` returning `returning`. On a partitioned host a ctid names a row within one
 * partition only, so the pair is matched (the ctids still drive a TID scan of each partition), and
 * the deleted rows' ids leave both id generations in the same statement. Stream: $1.
 */
export function deleteEventsCte(layout: HostLayout, picks: string, returning: string): string {
  if (layout === "legacy") return `d AS (DELETE FROM sc_events WHERE ctid = ANY(ARRAY(SELECT c FROM (${picks}) p)) RETURNING ${returning})`;
  return `p AS MATERIALIZED (${picks}),
  d AS (
    DELETE FROM sc_events WHERE ctid = ANY(ARRAY(SELECT c FROM p)) AND (tableoid, ctid) IN (SELECT t, c FROM p)
    RETURNING ${returning}, seq AS deleted_seq, event_id AS deleted_id
  ),
  x AS (DELETE FROM sc_event_ids i USING d WHERE i.stream_id = $1 AND i.event_id = d.deleted_id AND i.seq = d.deleted_seq),
  xp AS (DELETE FROM sc_event_ids_prev i USING d WHERE i.stream_id = $1 AND i.event_id = d.deleted_id AND i.seq = d.deleted_seq)`;
}

/**
 * The first position of stream $1 still kept on the host (0: nothing has expired): reads skip the
 * rows below it, which have expired but whose partition other streams still keep. Evaluated once
 * per statement (an initplan), so index scans start at it.
 */
export function keptFromSql(layout: HostLayout): string {
  return layout === "partitioned" ? "coalesce((SELECT start_seq FROM sc_stream_retention WHERE stream_id = $1), 0)" : "0";
}
