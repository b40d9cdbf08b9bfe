import { claimHostIdentity, getClusterId, getHostStatus } from "@shardcast/db";
import { withHostRetry, type MigrationContext } from "./context.ts";
import { destination } from "./destination.ts";

/**
 * Why the migration's two hosts look like one database, or null when they do not. Each host's
 * database carries an identity marker (written when it was registered, or claimed here for a host
 * registered before markers existed); two DSNs reaching one database show the same marker. Moving
 * a shardlet there would copy its rows onto themselves and the cleanup would then delete them as
 * the source's, so the mover checks this before it starts a copy and before anything it deletes.
 */
async function check(ctx: MigrationContext): Promise<string | null> {
  const { deps, m } = ctx;
  const [clusterId, source, dest] = await Promise.all([
    getClusterId(deps.db),
    getHostStatus(deps.db, m.sourceHostId),
    getHostStatus(deps.db, m.destHostId),
  ]);
  const sourceName = source?.name ?? m.sourceHostId;
  const destName = dest?.name ?? m.destHostId;
  // One after the other: on one database the source's claim must be there when the destination's is made.
  const a = await withHostRetry(ctx, "source identity", () => claimHostIdentity(ctx.source, { clusterId, hostId: m.sourceHostId, hostName: sourceName }));
  const b = await withHostRetry(ctx, "destination identity", () => claimHostIdentity(destination(ctx), { clusterId, hostId: m.destHostId, hostName: destName }));
  if (a.identity !== b.identity) return null;
  return (
    `the source host ${sourceName} and the destination host ${destName} are one database ` +
    `(both carry the identity marker of host "${a.hostName}"; or one is a copy of the other)`
  );
}

/**
 * `check`, once per run (the answer is kept in the context). Asked only where a host is needed
 * anyway, so a migration whose destination is down still ends the way it did before.
 */
export async function sharedDatabase(ctx: MigrationContext): Promise<string | null> {
  if (ctx.sharedDatabase !== undefined) return ctx.sharedDatabase;
  const problem = await check(ctx);
  ctx.sharedDatabase = problem;
  if (problem) ctx.deps.log.error("migration between hosts on one database", { migrationId: ctx.m.id, phase: ctx.m.phase, problem });
  return problem;
}

/** The abort of a migration whose hosts are one database, before the switch: nothing is deleted (see rollBack). */
export function refusedOneDatabase(problem: string): { kind: "abort"; to: "failed"; why: string } {
  return { kind: "abort", to: "failed", why: `refused: ${problem}; moving the shardlet there would copy its rows onto themselves and then delete them as the source's` };
}
