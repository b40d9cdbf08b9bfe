import { ShardcastError } from "@shardcast/core";
import { applyMigrateProposal, markAnalyzerProposalApplied, recordOperation, type AnalyzerProposalInfo, type ControlDb } from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";

/** Who the log and the migration workflow name when the analyzer acts on its own. */
export const ANALYZER_ACTOR = "analyzer";

export interface ActResult {
  splits: number;
  migrations: number;
  /** Proposals left open, and why (an infeasible move, a stale shardlet, no queue). */
  skipped: Array<{ proposalId: string; reason: string }>;
}

function splitReason(p: AnalyzerProposalInfo): string {
  return `predicted overload in ${p.urgencySec ?? 0} s: ${p.reason}`.slice(0, 500);
}

/**
 * A stream in `act` mode: its split proposals become split jobs (deduplicated per shardlet with
 * the manager's own splits) and its feasible migrate proposals become approved migrations. Each
 * action is recorded in the operations log. Add-host proposals always wait for an operator.
 */
export async function actOnProposals(
  db: ControlDb,
  log: Logger,
  proposals: readonly AnalyzerProposalInfo[],
  opts: { queue?: JobQueue },
): Promise<ActResult> {
  const result: ActResult = { splits: 0, migrations: 0, skipped: [] };
  for (const p of proposals) {
    try {
      if (p.kind === "split" && p.shardletId) {
        if (!opts.queue) {
          result.skipped.push({ proposalId: p.id, reason: "no job queue to enqueue the split" });
          continue;
        }
        const job = await enqueue(opts.queue, "shardlet.split", { shardletId: p.shardletId, reason: splitReason(p), actor: ANALYZER_ACTOR }, { deduplication: { id: `split-${p.shardletId}` } });
        await markAnalyzerProposalApplied(db, p.id, { actor: ANALYZER_ACTOR });
        await recordOperation(db, {
          kind: "analyzer.split",
          status: "succeeded",
          message: `queued a predictive split: ${splitReason(p)}`,
          streamId: p.streamId,
          shardletId: p.shardletId,
          hostId: p.sourceHostId,
          actor: ANALYZER_ACTOR,
          details: { proposalId: p.id, jobId: job.id ?? null, urgencySec: p.urgencySec },
        });
        result.splits++;
      } else if (p.kind === "migrate") {
        const feasibility = (p.details?.feasibility ?? {}) as Record<string, { ok?: boolean; detail?: string } | undefined>;
        const failed = Object.entries(feasibility).filter(([, c]) => c && c.ok === false);
        if (failed.length > 0) {
          result.skipped.push({ proposalId: p.id, reason: `not feasible (${failed.map(([k, c]) => `${k}: ${c?.detail ?? "failed"}`).join("; ")}): left for an operator` });
          continue;
        }
        const { migrationId } = await applyMigrateProposal(db, p.id, { actor: ANALYZER_ACTOR, phase: "approved" });
        await recordOperation(db, {
          kind: "analyzer.migrate",
          status: "succeeded",
          message: `approved a predictive migration: ${p.reason}`.slice(0, 2000),
          streamId: p.streamId,
          shardletId: p.shardletId,
          hostId: p.sourceHostId,
          actor: ANALYZER_ACTOR,
          details: { proposalId: p.id, migrationId, destHostId: p.destHostId, urgencySec: p.urgencySec },
        });
        result.migrations++;
      }
    } catch (err) {
      // One proposal that cannot be applied (the shardlet changed, a migration is open) leaves the others alone.
      const reason = err instanceof ShardcastError ? err.message : err instanceof Error ? err.message : String(err);
      result.skipped.push({ proposalId: p.id, reason });
      log.warn("analyzer could not act on a proposal", { proposalId: p.id, kind: p.kind, error: reason });
    }
  }
  return result;
}
