import type pg from "pg";
import { hostError, type HostDriver } from "./driver.ts";

/** A deadlock with a concurrent fence change or stats fold aborts one side; every statement here is idempotent. */
const RETRYABLE = new Set(["40P01", "40001"]);

/*
 * The migration's range statements are not prepared (no statement name): a prepared statement switches to
 * a generic plan after a few runs, and without the actual range and bounds the planner may pick a
 * scan of the whole key-hash range plus a sort for every chunk, where a walk of the primary key
 * from the cursor reads just past one chunk. The same holds for every read of the event tables
 * (see "Unprepared reads" in types.ts).
 */
export async function query<R extends pg.QueryResultRow>(driver: HostDriver, what: string, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await driver.withClient((c) => c.query<R>(config));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt < 3 && typeof code === "string" && RETRYABLE.has(code)) continue;
      throw hostError(err, what);
    }
  }
}
