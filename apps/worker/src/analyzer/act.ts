import { canWaitForTrough, ShardcastError, type CapacitySettings, type TroughWindow } from "@shardcast/core";
import {
  addAnalyzerProposalDetails,
  applyMigrateProposal,
  approveMigration,
  markAnalyzerProposalApplied,
  recordOperation,
  type AnalyzerProposalInfo,
  type ControlDb,
} from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";

/** Who the log and the migration workflow name when the analyzer acts on its own. */
export const ANALYZER_ACTOR = "analyzer";

export interface ActResult {
  splits: number;
  migrations: number;
  /** Of the migrations, those scheduled for the forecast trough instead of started now. */
  scheduled: number;
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
  opts: { queue?: JobQueue; trough?: { window: TroughWindow; nowMs: number; settings: CapacitySettings } },
): Promise<ActResult> {
  const result: ActResult = { splits: 0, migrations: 0, scheduled: 0, skipped: [] };
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
        const t = opts.trough;
        const bytesToMove = typeof p.details?.bytesToMove === "number" ? p.details.bytesToMove : 0;
        // A move whose overload is further away than the next trough plus its copy waits for the
        // trough: copying costs capacity on both hosts, and the trough has it to spare.
        const wait = t && canWaitForTrough({ urgencySec: p.urgencySec, bytesToMove }, t.window, t.nowMs, t.settings) ? t.window : null;
        const { migrationId } = await applyMigrateProposal(db, p.id, { actor: ANALYZER_ACTOR, phase: wait ? "proposed" : "approved" });
        if (wait) {
          const start = new Date(wait.startMs);
          const end = new Date(wait.endMs);
          const label = `forecast trough ${start.toISOString()} – ${end.toISOString()}`;
          await approveMigration(db, migrationId, { email: ANALYZER_ACTOR }, { window: { start, end, label } });
          await addAnalyzerProposalDetails(db, p.id, { troughWindow: { startMs: wait.startMs, endMs: wait.endMs } });
          result.scheduled++;
        }
        await recordOperation(db, {
          kind: "analyzer.migrate",
          status: "succeeded",
          message: (wait
            ? `scheduled a predictive migration for the forecast trough from ${new Date(wait.startMs).toISOString()} (not urgent: the overload is further away than the trough plus the copy): ${p.reason}`
            : `approved a predictive migration: ${p.reason}`
          ).slice(0, 2000),
          streamId: p.streamId,
          shardletId: p.shardletId,
          hostId: p.sourceHostId,
          actor: ANALYZER_ACTOR,
          details: { proposalId: p.id, migrationId, destHostId: p.destHostId, urgencySec: p.urgencySec, ...(wait ? { troughWindow: wait } : {}) },
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
