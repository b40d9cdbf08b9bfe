import type { ControlDb, OperationInfo } from "@shardcast/db";

/**
 * Groups of operation kinds the console filters by. A kind belongs to a group when it equals one
 * of the group's roots or starts with `root.` (e.g. `shardlet.split` and `shardlet.split.request`).
 */
export const OPERATION_CATEGORIES = {
  splits: ["shardlet.split"],
  merges: ["shardlet.merge"],
  // Events that went to a shard's overflow log because their shardlet was locked or fenced.
  contention: ["shardlet.contention", "shardlet.fallback", "overflow", "contention"],
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

/**
 * Lifecycle activity since `since`: finished splits and merges (requests from the console are not
 * counted, only what the worker did) and contention records.
 */
export async function lifecycleActivity(db: ControlDb, since: Date): Promise<{ splits: number; merges: number; contention: number }> {
  const done = (category: OperationCategory) =>
    db.operation.count({
      where: {
        ...kindFilter(category),
        NOT: { kind: { endsWith: ".request" } },
        status: "succeeded",
        startedAt: { gte: since },
      },
    });
  const [splits, merges, contention] = await Promise.all([
    done("splits"),
    done("merges"),
    db.operation.count({ where: { ...kindFilter("contention"), startedAt: { gte: since } } }),
  ]);
  return { splits, merges, contention };
}
