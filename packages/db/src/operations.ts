import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { newRowId, sqlRows, utc } from "./sql.ts";

export type OperationStatus = "running" | "succeeded" | "failed";

export interface NewOperation {
  /** e.g. stream.create, host.register, host.health, shardlet.accounting, shardlet.split */
  kind: string;
  status: OperationStatus;
  message: string;
  streamId?: string | null;
  shardletId?: string | null;
  hostId?: string | null;
  actor?: string | null;
  details?: Record<string, unknown> | null;
  durationMs?: number | null;
}

export interface OperationInfo {
  id: string;
  kind: string;
  status: string;
  message: string;
  streamId: string | null;
  shardletId: string | null;
  hostId: string | null;
  actor: string | null;
  details: unknown;
  startedAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}

function jsonOrNull(value: Record<string, unknown> | null | undefined): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value == null ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/** An operations-log row; a finished status stamps finishedAt. Also written inside other modules' transactions. */
export function operationData(op: NewOperation): Prisma.OperationCreateInput {
  return {
    kind: op.kind,
    status: op.status,
    message: op.message,
    streamId: op.streamId ?? null,
    shardletId: op.shardletId ?? null,
    hostId: op.hostId ?? null,
    actor: op.actor ?? null,
    details: jsonOrNull(op.details),
    durationMs: op.durationMs == null ? null : Math.round(op.durationMs),
    finishedAt: op.status !== "running" ? new Date() : null,
  };
}

/** The columns `operationParams` fills, in its order. */
const OPERATION_COLUMNS = "id, kind, status, message, stream_id, shardlet_id, host_id, actor, details, duration_ms, started_at, finished_at";

/**
 * A plain-SQL insert of an operations row whose twelve parameters start at `$from` (see
 * `operationParams`), so it can share a statement with the change it records; with `source` one
 * row is inserted per row of that CTE (none when the change matched nothing).
 */
export function operationInsertSql(from: number, source?: string): string {
  const p = (i: number) => `$${from + i}`;
  return (
    `INSERT INTO operations (${OPERATION_COLUMNS}) SELECT ${p(0)}::text, ${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ` +
    `${p(6)}::text, ${p(7)}::text, ${p(8)}::jsonb, ${p(9)}::int, ${p(10)}::timestamp, ${p(11)}::timestamp${source ? ` FROM ${source}` : ""}`
  );
}

/** The parameters of `operationInsertSql`, the same row `operationData` describes. */
export function operationParams(op: NewOperation, at: Date = new Date()): unknown[] {
  return [
    newRowId(at.getTime()),
    op.kind,
    op.status,
    op.message,
    op.streamId ?? null,
    op.shardletId ?? null,
    op.hostId ?? null,
    op.actor ?? null,
    op.details == null ? null : JSON.stringify(op.details),
    op.durationMs == null ? null : Math.round(op.durationMs),
    utc(at),
    op.status !== "running" ? utc(at) : null,
  ];
}

/** Appends to the operations log. */
export async function recordOperation(db: ControlDb, op: NewOperation): Promise<{ id: string }> {
  const values = operationParams(op);
  await sqlRows(db, operationInsertSql(1), values);
  return { id: values[0] as string };
}

/** Closes a `running` operation. */
export async function finishOperation(
  db: ControlDb,
  id: string,
  result: { status: Exclude<OperationStatus, "running">; message?: string; details?: Record<string, unknown>; durationMs?: number },
): Promise<void> {
  const finishedAt = new Date();
  const current = await db.operation.findUnique({ where: { id }, select: { startedAt: true } });
  if (!current) return;
  await db.operation.update({
    where: { id },
    data: {
      status: result.status,
      finishedAt,
      durationMs: Math.round(result.durationMs ?? finishedAt.getTime() - current.startedAt.getTime()),
      ...(result.message !== undefined ? { message: result.message } : {}),
      ...(result.details !== undefined ? { details: result.details as Prisma.InputJsonValue } : {}),
    },
  });
}

/** Newest first. `kind` ending in "." matches a prefix (e.g. "shardlet."). */
export async function listOperations(
  db: ControlDb,
  query: { limit: number; kind?: string; streamId?: string; hostId?: string },
): Promise<OperationInfo[]> {
  const kind = query.kind ? (query.kind.endsWith(".") ? { startsWith: query.kind } : query.kind) : undefined;
  return db.operation.findMany({
    where: {
      ...(kind !== undefined ? { kind } : {}),
      ...(query.streamId ? { streamId: query.streamId } : {}),
      ...(query.hostId ? { hostId: query.hostId } : {}),
    },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(query.limit, 1000)),
  });
}

/** Kinds equal to one of `roots` or starting with `root.` (e.g. `shardlet.split.request`). */
function kindUnder(roots: readonly string[]): Prisma.OperationWhereInput {
  return { OR: roots.flatMap((root) => [{ kind: root }, { kind: { startsWith: `${root}.` } }]) };
}

/** Newest first, like `listOperations`, for the kinds under `roots`. */
export async function listOperationsUnder(db: ControlDb, query: { roots: readonly string[]; limit: number }): Promise<OperationInfo[]> {
  return db.operation.findMany({
    where: kindUnder(query.roots),
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(query.limit, 1000)),
  });
}

/** Succeeded operations under `roots` started since `since`; requests (`….request`) are not counted. */
export async function countSucceededOperationsUnder(db: ControlDb, roots: readonly string[], since: Date): Promise<number> {
  return db.operation.count({
    where: { ...kindUnder(roots), NOT: { kind: { endsWith: ".request" } }, status: "succeeded", startedAt: { gte: since } },
  });
}

/** The details of at most `take` operations under `roots` started since `since`. */
export async function listOperationDetailsUnder(db: ControlDb, q: { roots: readonly string[]; since: Date; take: number }): Promise<unknown[]> {
  const rows = await db.operation.findMany({ where: { ...kindUnder(q.roots), startedAt: { gte: q.since } }, select: { details: true }, take: q.take });
  return rows.map((r) => r.details);
}
