import type * as Db from "@shardcast/db";

/** Control-database key lookups per token, counted by `countingKeyLookups`. */
export const lookups = new Map<string, number>();

/**
 * The real `@shardcast/db` with `verifyApiKey` counting its calls per token (the edge looks keys up
 * with it): for `vi.mock("@shardcast/db", ...)` in tests of the edge's key cache.
 */
export function countingKeyLookups(db: typeof Db): typeof Db {
  return {
    ...db,
    verifyApiKey: (control: Parameters<typeof db.verifyApiKey>[0], token: string) => {
      lookups.set(token, (lookups.get(token) ?? 0) + 1);
      return db.verifyApiKey(control, token);
    },
  };
}
