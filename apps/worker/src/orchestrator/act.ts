import { ShardcastError } from "@shardcast/core";
import { applyMigrateProposal, approveMigration, listAnalyzerProposals, markAnalyzerProposalApplied, recordOperation, type ControlDb } from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";

/** Who the operations log and the migration workflow name when the orchestrator acts on its own. */
export const ORCHESTRATOR_ACTOR = "orchestrator";

export interface OrchestratorActResult {
  splits: number;
  moves: number;
  /** Proposals left open, and why (the shardlet changed, a migration is already open). */
  skipped: Array<{ proposalId: string; reason: string }>;
}

/**
 * `autoApply` (act mode): the orchestrator's open proposals become work. Splits are queued at the
 * profiled cut (deduplicated per shardlet with the manager's own splits; the planner already kept
 * them under `maxShards`). Moves become migrations approved for the stream's migration window,
 * from now to `migrationWindowSec` ahead: a hand-off (the default for load moves) finishes in about
 * a second, and a copy that at its measured rate would run past the window's close is stopped by
 * the mover then, not left to run over it.
 */
export async function actOnOrchestratorProposals(
  db: ControlDb,
  log: Logger,
  opts: { queue: JobQueue; nowMs: number; windowSecOf: (streamId: string) => number },
): Promise<OrchestratorActResult> {
  const result: OrchestratorActResult = { splits: 0, moves: 0, skipped: [] };
  const open = await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 500 });
  for (const p of open) {
    if (!p.shardletId || (p.kind !== "split" && p.kind !== "migrate")) continue;
    try {
      if (p.kind === "split") {
        const splitAt = typeof p.details?.splitAt === "number" ? p.details.splitAt : undefined;
        await enqueue(
          opts.queue,
          "shardlet.split",
          { shardletId: p.shardletId, reason: `orchestrator: ${p.reason}`.slice(0, 500), actor: ORCHESTRATOR_ACTOR, ...(splitAt !== undefined ? { splitAt } : {}) },
          { deduplication: { id: `split-${p.shardletId}` } },
        );
        await markAnalyzerProposalApplied(db, p.id, { actor: ORCHESTRATOR_ACTOR });
        result.splits++;
        continue;
      }
      const windowSec = opts.windowSecOf(p.streamId ?? "");
      const start = new Date(opts.nowMs);
      const end = new Date(opts.nowMs + windowSec * 1000);
      const { migrationId } = await applyMigrateProposal(db, p.id, { actor: ORCHESTRATOR_ACTOR, phase: "proposed" });
      await approveMigration(db, migrationId, { email: ORCHESTRATOR_ACTOR }, { window: { start, end, label: `orchestrator's migration window (${windowSec} s)` } });
      await recordOperation(db, {
        kind: "orchestrator.migrate",
        status: "succeeded",
        message: `approved a move to a healthier host, to finish by ${end.toISOString()}: ${p.reason}`.slice(0, 2000),
        streamId: p.streamId,
        shardletId: p.shardletId,
        hostId: p.sourceHostId,
        actor: ORCHESTRATOR_ACTOR,
        details: { proposalId: p.id, migrationId, destHostId: p.destHostId, windowSec },
      });
      result.moves++;
    } catch (err) {
      // One proposal that cannot be applied (the shardlet changed, a migration is open) leaves the others alone.
      const reason = err instanceof ShardcastError || err instanceof Error ? err.message : String(err);
      result.skipped.push({ proposalId: p.id, reason });
      log.warn("orchestrator could not act on a proposal", { proposalId: p.id, kind: p.kind, error: reason });
    }
  }
  return result;
}
