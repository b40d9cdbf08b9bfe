import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";

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

/** Appends to the operations log. */
export async function recordOperation(db: ControlDb, op: NewOperation): Promise<{ id: string }> {
  return db.operation.create({ data: operationData(op), select: { id: true } });
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
