import { drainOverflow } from "../lifecycle/drain.ts";
import { announce, withHostRetry, type MigrationContext } from "./context.ts";

const DRAIN_CHUNK_ROWS = 1_000;

/**
 * Moves the overflow rows of the migrating shardlet's range (events acknowledged while it was
 * locked or its fence was being raised) into `hostId`, fenced at `epoch`: the source at the copy
 * epoch before the copy (and when a migration is undone), the destination at the switch epoch.
 */
export async function drainRangeInto(ctx: MigrationContext, hostId: string, epoch: number): Promise<number> {
  const { deps, m, range } = ctx;
  const home = await deps.hosts.get(ctx.homeHostId);
  const r = await withHostRetry(ctx, "overflow drain", () =>
    drainOverflow(deps, {
      streamId: range.streamId,
      home,
      targets: [{ id: m.shardletId, lo: range.lo, hi: range.hi, hostId, epoch }],
      chunkRows: DRAIN_CHUNK_ROWS,
      signal: ctx.signal,
    }),
  );
  if (r.blocked.length > 0) deps.log.warn("migration drain left rows for the sweep: the shardlet changed meanwhile", { migrationId: m.id });
  // Edges stop looking ids up in the overflow log for the range once they reload its route.
  if (r.cleared.length > 0) await announce(ctx);
  return r.drained;
}
