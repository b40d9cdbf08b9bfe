import { migrateProposalIsStale, parseMigrateDetails, ShardcastError, type MigrateProposalDetails } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { createMigrationProposal } from "../migration-proposals/propose.ts";
import { markAnalyzerProposalApplied, openAnalyzerProposal, type AnalyzerProposalInfo } from "./proposals.ts";

export type { MigrateProposalDetails } from "@shardcast/core";

export function migrateDetails(p: AnalyzerProposalInfo): MigrateProposalDetails {
  return parseMigrateDetails(p.details);
}

/**
 * Hands an open migrate proposal to the migration workflow: a Migration row (origin `analyzer`)
 * in `phase` (`approved` starts it without another decision), and the proposal becomes `applied`
 * with the migration's id. Refused when the shardlet changed since the forecast (split, merged,
 * moved: its epoch or host differs) or already has an open migration.
 */
export async function applyMigrateProposal(
  db: ControlDb,
  id: string,
  opts: { actor: string; phase: "proposed" | "approved" },
): Promise<{ proposal: AnalyzerProposalInfo; migrationId: string }> {
  const p = await openAnalyzerProposal(db, id, "migrate");
  if (!p.streamId || !p.shardletId || !p.sourceHostId || !p.destHostId) throw new ShardcastError("internal", `migrate proposal ${id} lacks its shardlet or hosts`);
  const d = migrateDetails(p);
  const s = await db.shardlet.findUnique({ where: { id: p.shardletId }, select: { state: true, epoch: true, hostId: true } });
  if (!s || migrateProposalIsStale({ sourceHostId: p.sourceHostId }, d, s)) {
    throw new ShardcastError("conflict", "the shardlet changed since this was forecast (split, merged or moved); wait for the next analyzer run", { reason: "stale" });
  }
  const created = await createMigrationProposal(db, {
    streamId: p.streamId,
    shardletId: p.shardletId,
    sourceHostId: p.sourceHostId,
    destHostId: p.destHostId,
    origin: p.source,
    reason: p.reason,
    ...(p.urgencySec !== null ? { urgencySec: p.urgencySec } : {}),
    expectedBenefit: p.expectedBenefit,
    expectedLoad: d.expectedLoad,
    feasibility: d.feasibility,
    bytesToMove: d.bytesToMove,
    shardletEpoch: s.epoch,
    proposedBy: opts.actor,
    phase: opts.phase,
  });
  if (!created.created) {
    throw new ShardcastError("conflict", "this shardlet already has an open migration; decide on that one first", { migrationId: created.id });
  }
  const proposal = await markAnalyzerProposalApplied(db, id, { actor: opts.actor, migrationId: created.id });
  return { proposal, migrationId: created.id };
}
