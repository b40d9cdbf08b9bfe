import { RUNNING_MIGRATION_PHASES, ShardcastError, TERMINAL_MIGRATION_PHASES, type MigrationPhase } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { Migration as MigrationRow } from "./generated/prisma/client.ts";
import { listMigrationEvents, type MigrationEventInfo } from "./migration-events.ts";

/** Migrations as the console lists them: with host names, the stream's name and the shardlet's range. */

export type MigrationListView =
  /** Waiting for a decision. */
  | "proposed"
  /** Approved or scheduled, not started. */
  | "queued"
  /** Copying, verifying, switching or cleaning up. */
  | "running"
  /** Every migration that has not ended. */
  | "open"
  /** Ended: done, failed, cancelled, rejected. */
  | "history";

export const MIGRATION_LIST_VIEWS: readonly MigrationListView[] = ["proposed", "queued", "running", "open", "history"];

export interface MigrationSummary {
  id: string;
  streamId: string;
  streamName: string;
  shardletId: string;
  /** The shardlet's hash range, or null when its row is gone. */
  range: { lo: number; hi: number } | null;
  sourceHostId: string;
  sourceHostName: string;
  destHostId: string;
  destHostName: string;
  phase: string;
  origin: string;
  reason: string;
  urgencySec: number | null;
  expectedBenefit: number;
  expectedLoad: unknown;
  feasibility: unknown;
  bytesToMove: number;
  rowsTotal: number;
  rowsCopied: number;
  copyRate: number;
  /**
   * Rows/s the copy achieves: the mover's smoothed chunk rate, but never more than the average
   * since the copy started (the first chunks run before the budget's pauses show in the rate).
   */
  rate: number;
  /** Seconds left of the copy at that rate; null when unknown or not copying. */
  etaSec: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  shardletEpoch: number;
  cancelRequested: boolean;
  attempts: number;
  error: string | null;
  proposedBy: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface MigrationDetail extends MigrationSummary {
  events: MigrationEventInfo[];
}

function phasesOf(view: MigrationListView): { in?: string[]; notIn?: string[] } {
  switch (view) {
    case "proposed":
      return { in: ["proposed"] };
    case "queued":
      return { in: ["approved", "scheduled"] };
    case "running":
      return { in: [...RUNNING_MIGRATION_PHASES] };
    case "open":
      return { notIn: [...TERMINAL_MIGRATION_PHASES] };
    case "history":
      return { in: [...TERMINAL_MIGRATION_PHASES] };
  }
}

export function effectiveRate(m: { copyRate: number; rowsCopied: number; startedAt: Date | null }, now: number): number {
  if (!m.startedAt || m.rowsCopied <= 0) return m.copyRate;
  const elapsedSec = (now - m.startedAt.getTime()) / 1000;
  if (!(elapsedSec > 0)) return m.copyRate;
  const average = m.rowsCopied / elapsedSec;
  return m.copyRate > 0 ? Math.min(m.copyRate, average) : average;
}

export function etaSeconds(m: { phase: string; rowsTotal: number; rowsCopied: number; rate: number }): number | null {
  if (m.phase !== "copying" || !(m.rate > 0) || m.rowsTotal <= 0) return null;
  return Math.max(0, (m.rowsTotal - m.rowsCopied) / m.rate);
}

async function summarize(db: ControlDb, rows: readonly MigrationRow[]): Promise<MigrationSummary[]> {
  if (rows.length === 0) return [];
  const hostIds = [...new Set(rows.flatMap((r) => [r.sourceHostId, r.destHostId]))];
  const [hosts, streams, shardlets] = await Promise.all([
    db.host.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true } }),
    db.stream.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.streamId))] } }, select: { id: true, name: true } }),
    db.shardlet.findMany({ where: { id: { in: [...new Set(rows.map((r) => r.shardletId))] } }, select: { id: true, lo: true, hi: true } }),
  ]);
  const hostName = new Map(hosts.map((h) => [h.id, h.name]));
  const streamName = new Map(streams.map((s) => [s.id, s.name]));
  const range = new Map(shardlets.map((s) => [s.id, { lo: num(s.lo), hi: num(s.hi) }]));
  const now = Date.now();
  return rows.map((r) => {
    const copied = { phase: r.phase, rowsTotal: num(r.rowsTotal), rowsCopied: num(r.rowsCopied), copyRate: r.copyRate };
    const base = { ...copied, rate: effectiveRate({ ...copied, startedAt: r.startedAt }, now) };
    return {
      id: r.id,
      streamId: r.streamId,
      streamName: streamName.get(r.streamId) ?? r.streamId,
      shardletId: r.shardletId,
      range: range.get(r.shardletId) ?? null,
      sourceHostId: r.sourceHostId,
      sourceHostName: hostName.get(r.sourceHostId) ?? r.sourceHostId,
      destHostId: r.destHostId,
      destHostName: hostName.get(r.destHostId) ?? r.destHostId,
      origin: r.origin,
      reason: r.reason,
      urgencySec: r.urgencySec,
      expectedBenefit: r.expectedBenefit,
      expectedLoad: r.expectedLoad,
      feasibility: r.feasibility,
      bytesToMove: num(r.bytesToMove),
      ...base,
      etaSec: etaSeconds(base),
      windowStart: r.windowStart,
      windowEnd: r.windowEnd,
      shardletEpoch: r.shardletEpoch,
      cancelRequested: r.cancelRequested,
      attempts: r.attempts,
      error: r.error,
      proposedBy: r.proposedBy,
      decidedBy: r.decidedBy,
      decidedAt: r.decidedAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    };
  });
}

/**
 * One page of migrations of a view. Proposals come most urgent first (then by benefit), history
 * most recently ended first, the others oldest first (the order they run in).
 */
export async function listMigrations(
  db: ControlDb,
  query: { view: MigrationListView; limit: number; offset?: number; streamId?: string },
): Promise<{ items: MigrationSummary[]; total: number }> {
  const where = { phase: phasesOf(query.view), ...(query.streamId ? { streamId: query.streamId } : {}) };
  const orderBy =
    query.view === "history"
      ? [{ finishedAt: { sort: "desc" as const, nulls: "last" as const } }, { updatedAt: "desc" as const }, { id: "asc" as const }]
      : query.view === "proposed"
        ? [{ urgencySec: { sort: "asc" as const, nulls: "last" as const } }, { expectedBenefit: "desc" as const }, { createdAt: "asc" as const }, { id: "asc" as const }]
        : [{ createdAt: "asc" as const }, { id: "asc" as const }];
  const [rows, total] = await Promise.all([
    db.migration.findMany({ where, orderBy, take: Math.max(1, Math.min(query.limit, 500)), skip: Math.max(0, query.offset ?? 0) }),
    db.migration.count({ where }),
  ]);
  return { items: await summarize(db, rows), total };
}

export async function getMigration(db: ControlDb, id: string, opts: { eventLimit?: number } = {}): Promise<MigrationDetail> {
  const row = await db.migration.findUnique({ where: { id } });
  if (!row) throw new ShardcastError("not_found", `Migration ${id} does not exist.`);
  const [summary] = await summarize(db, [row]);
  const events = await listMigrationEvents(db, id, opts.eventLimit ?? 500);
  return { ...summary!, events };
}

/** Counts per phase (for the console's tabs). */
export async function migrationPhaseCounts(db: ControlDb): Promise<Partial<Record<MigrationPhase, number>>> {
  const rows = await db.migration.groupBy({ by: ["phase"], _count: { _all: true } });
  return Object.fromEntries(rows.map((r) => [r.phase, r._count._all]));
}
