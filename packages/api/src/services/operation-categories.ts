import type { ControlDb, OperationInfo } from "@shardcast/db";

/**
 * Groups of operation kinds the console filters by. A kind belongs to a group when it equals one
 * of the group's roots or starts with `root.` (e.g. `shardlet.split` and `shardlet.split.request`).
 */
export const OPERATION_CATEGORIES = {
  splits: ["shardlet.split"],
  merges: ["shardlet.merge"],
  // Events that went to a shard's overflow log because their shardlet was locked or changing.
  contention: ["contention"],
  hosts: ["host"],
} as const;

export type OperationCategory = keyof typeof OPERATION_CATEGORIES;
export const OPERATION_CATEGORY_NAMES = Object.keys(OPERATION_CATEGORIES) as OperationCategory[];

function kindFilter(category: OperationCategory) {
  return { OR: OPERATION_CATEGORIES[category].flatMap((root) => [{ kind: root }, { kind: { startsWith: `${root}.` } }]) };
}

/** Newest first, like `listOperations`, but by category. */
export async function listOperationsIn(db: ControlDb, query: { category: OperationCategory; limit: number }): Promise<OperationInfo[]> {
  return db.operation.findMany({
    where: kindFilter(query.category),
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(query.limit, 1000)),
  });
}

/** How many events a contention record covers (`details.count`; a record without one counts once). */
function contentionEvents(details: unknown): number {
  const count = details !== null && typeof details === "object" ? (details as { count?: unknown }).count : undefined;
  return typeof count === "number" && Number.isFinite(count) && count > 0 ? count : 1;
}

/**
 * Lifecycle activity since `since`: splits and merges the worker finished (console requests and
 * failures are not counted) and the events that went through overflow logs.
 */
export async function lifecycleActivity(db: ControlDb, since: Date): Promise<{ splits: number; merges: number; contentionEvents: number }> {
  const finished = (category: OperationCategory) =>
    db.operation.count({
      where: { ...kindFilter(category), NOT: { kind: { endsWith: ".request" } }, status: "succeeded", startedAt: { gte: since } },
    });
  const [splits, merges, contention] = await Promise.all([
    finished("splits"),
    finished("merges"),
    db.operation.findMany({ where: { ...kindFilter("contention"), startedAt: { gte: since } }, select: { details: true }, take: 10_000 }),
  ]);
  return { splits, merges, contentionEvents: contention.reduce((sum, op) => sum + contentionEvents(op.details), 0) };
}
