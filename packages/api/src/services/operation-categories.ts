import { countSucceededOperationsUnder, listOperationDetailsUnder, listOperationsUnder, type ControlDb, type OperationInfo } from "@shardcast/db";

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

/** Newest first, like `listOperations`, but by category. */
export async function listOperationsIn(db: ControlDb, query: { category: OperationCategory; limit: number }): Promise<OperationInfo[]> {
  return listOperationsUnder(db, { roots: OPERATION_CATEGORIES[query.category], limit: query.limit });
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
  const [splits, merges, contention] = await Promise.all([
    countSucceededOperationsUnder(db, OPERATION_CATEGORIES.splits, since),
    countSucceededOperationsUnder(db, OPERATION_CATEGORIES.merges, since),
    listOperationDetailsUnder(db, { roots: OPERATION_CATEGORIES.contention, since, take: 10_000 }),
  ]);
  return { splits, merges, contentionEvents: contention.reduce<number>((sum, details) => sum + contentionEvents(details), 0) };
}
