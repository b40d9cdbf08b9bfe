import type { MoveMode } from "@shardcast/core";
import type { ControlDb } from "./client.ts";

/** The console's reads of hand-offs beside the migration lists: modes, and history copies under way. */

/**
 * How each of the migrations named moves its shardlet (`handoff` or `copy`), for the console's
 * lists and details beside `listMigrations` / `getMigration`. Ids that do not exist are left out.
 */
export async function listMigrationModes(db: ControlDb, ids: readonly string[]): Promise<Map<string, MoveMode>> {
  if (ids.length === 0) return new Map();
  const rows = await db.migration.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, mode: true } });
  return new Map(rows.map((r) => [r.id, r.mode === "handoff" ? "handoff" : "copy"]));
}

/**
 * History copies not finished yet (migrations in mode `copy` of a sealed shardlet, proposed to
 * cleanup), counted per host they copy from.
 */
export async function countOpenHistoryCopies(db: ControlDb): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<Array<{ source_host_id: string; n: bigint }>>`
    SELECT m.source_host_id, count(*) AS n
    FROM migrations m JOIN shardlets s ON s.id = m.shardlet_id
    WHERE m.finished_at IS NULL AND m.mode = 'copy' AND s.state = 'sealed'
    GROUP BY m.source_host_id`;
  return new Map(rows.map((r) => [r.source_host_id, Number(r.n)]));
}
