import { ShardcastError } from "@shardcast/core";
import {
  applyMigrateProposal,
  approveAddHostProposal,
  markAnalyzerProposalApplied,
  openAnalyzerProposal,
  type AnalyzerProposalInfo,
  type ControlDb,
} from "@shardcast/db";
import { enqueue, queueHostProvision, type JobQueue } from "@shardcast/jobs";
import { shardletForSplit } from "./lifecycle-actions.ts";

/**
 * An operator acting on an analyzer proposal: a split is queued (the same job and deduplication
 * as the manager's), a move becomes an approved migration (the migration workflow runs it), an
 * added host is provisioned by the worker's `host.provision` job.
 */
export async function applyProposal(
  db: ControlDb,
  queue: JobQueue,
  id: string,
  actor: string,
): Promise<{ proposal: AnalyzerProposalInfo; message: string; jobId: string | null; migrationId: string | null }> {
  const p = await openAnalyzerProposal(db, id);
  if (p.kind === "add_host") throw new ShardcastError("bad_request", "approve an add-host proposal with approveAddHost: it provisions a host");
  if (p.kind === "drain_host") throw new ShardcastError("bad_request", "approve a drain-host proposal with approveDrainHost: it drains a host");
  if (p.kind === "split") {
    if (!p.shardletId) throw new ShardcastError("internal", `split proposal ${id} names no shardlet`);
    const s = await shardletForSplit(db, p.shardletId);
    const reason = (p.source === "orchestrator" ? `health below threshold (applied by ${actor}): ${p.reason}` : `predicted overload in ${p.urgencySec ?? 0} s (applied by ${actor}): ${p.reason}`).slice(0, 500);
    // The orchestrator's split cuts at the profiled median of recent writes.
    const splitAt = p.source === "orchestrator" && typeof p.details?.splitAt === "number" ? { splitAt: p.details.splitAt } : {};
    const job = await enqueue(queue, "shardlet.split", { shardletId: s.id, reason, actor, ...splitAt }, { deduplication: { id: `split-${s.id}` } });
    const proposal = await markAnalyzerProposalApplied(db, id, { actor });
    return { proposal, message: "Split queued; the worker takes the shardlet's lock and splits it.", jobId: job.id ?? null, migrationId: null };
  }
  const { proposal, migrationId } = await applyMigrateProposal(db, id, { actor, phase: "approved" });
  return { proposal, message: "Migration approved; it starts on the next migration scheduler run.", jobId: null, migrationId };
}

export async function approveAddHost(db: ControlDb, queue: JobQueue, id: string, actor: string): Promise<{ proposal: AnalyzerProposalInfo; jobId: string }> {
  const { proposal, jobId } = await approveAddHostProposal(db, id, actor, queueHostProvision(queue, id, actor));
  return { proposal, jobId: jobId ?? "" };
}
