import type { PlacementNote } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";

/** Why a planner did not act ("why not" in the console). Each run replaces its source's notes. */

export type PlannerNoteSource = "rebalancer" | "analyzer" | "orchestrator";

export interface PlannerNoteInfo {
  id: number;
  source: string;
  streamId: string | null;
  shardletId: string | null;
  hostId: string | null;
  message: string;
  details: unknown;
  at: Date;
}

const MAX_NOTES = 500;

/** Replaces every note of `source` with `notes` in one transaction (readers never see a half set). */
export async function replacePlannerNotes(db: ControlDb, source: PlannerNoteSource, notes: readonly PlacementNote[], at: Date = new Date()): Promise<number> {
  const rows = notes.slice(0, MAX_NOTES).map((n) => ({
    source,
    streamId: n.streamId ?? null,
    shardletId: n.shardletId ?? null,
    hostId: n.hostId ?? null,
    message: n.message,
    details: n.details === undefined ? Prisma.DbNull : (JSON.parse(JSON.stringify(n.details)) as Prisma.InputJsonValue),
    at,
  }));
  await db.$transaction([db.plannerNote.deleteMany({ where: { source } }), db.plannerNote.createMany({ data: rows })]);
  return rows.length;
}

/** Notes in the order the planner wrote them. */
export async function listPlannerNotes(db: ControlDb, query: { source?: PlannerNoteSource; streamId?: string; limit?: number } = {}): Promise<PlannerNoteInfo[]> {
  const rows = await db.plannerNote.findMany({
    where: { ...(query.source ? { source: query.source } : {}), ...(query.streamId ? { streamId: query.streamId } : {}) },
    orderBy: { id: "asc" },
    take: Math.max(1, Math.min(query.limit ?? 200, MAX_NOTES)),
  });
  return rows.map((r) => ({ ...r, id: num(r.id) }));
}
