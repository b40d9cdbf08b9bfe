import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { getAnalyzerProposal, openAnalyzerProposal, type AnalyzerProposalInfo } from "../analyzer/proposals.ts";

/**
 * Approves an open add_host proposal and queues its provisioning with `queueJob`, which gets the
 * approval the job must name (its `approvedAt`) and answers the job's id (null when the caller
 * provisions in-process). When the job cannot be queued (the queue's Redis did not answer), the
 * approval is undone and the proposal is open again, so approving it again is the retry: left
 * applied, it would read "queued" for good with no job behind it.
 *
 * A job that was queued after all (its reply lost) may already be running. The undo and the
 * worker's claim (`claimAddHostProvision`) are both compare-and-sets on the provisioning's
 * "queued" state, so exactly one wins: if the worker's did, the approval stands and the answer is
 * the job's; if the undo's did, the job is refused when it starts. So one approval provisions at
 * most one host.
 */
export async function approveAddHostProposal(
  db: ControlDb,
  id: string,
  actor: string,
  queueJob: (approvedAt: string, jobId: string) => Promise<string | null>,
): Promise<{ proposal: AnalyzerProposalInfo; jobId: string | null }> {
  const proposal = await approveQueued(db, id, actor);
  const approvedAt = addHostApproval(proposal) ?? "";
  const jobId = provisionJobId(id, approvedAt);
  try {
    return { proposal, jobId: await queueJob(approvedAt, jobId) };
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    const undone = await db.$executeRaw`
      UPDATE analyzer_proposals
      SET status = 'open', decided_by = NULL, decided_at = NULL,
          details = (COALESCE(details, '{}'::jsonb) - 'provision') || jsonb_build_object('queueFailure', jsonb_build_object('message', ${reason}::text, 'at', ${new Date().toISOString()}::text))
      WHERE id = ${id} AND status = 'applied' AND details->'provision'->>'status' = 'queued'`;
    if (undone === 0) return { proposal, jobId };
    throw new ShardcastError("unavailable", `the host's provisioning job could not be queued (${reason.slice(0, 200)}); the proposal is open again: approve it again`);
  }
}

/**
 * The approval and its "queued" provisioning in one compare-and-set: written apart, a failure
 * between them would leave the proposal applied with no job and nothing to undo it. The note is
 * written before the job exists, so the job's own outcome cannot be overwritten by it.
 */
async function approveQueued(db: ControlDb, id: string, actor: string): Promise<AnalyzerProposalInfo> {
  const at = new Date().toISOString();
  // decided_at is a UTC timestamp without zone, as Prisma writes it.
  const approved = await db.$executeRaw`
    UPDATE analyzer_proposals
    SET status = 'applied', decided_by = ${actor}, decided_at = (${at}::timestamptz AT TIME ZONE 'UTC'),
        details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('provision', jsonb_build_object('status', 'queued', 'at', ${at}::text))
    WHERE id = ${id} AND kind = 'add_host' AND status = 'open'`;
  if (approved === 0) {
    // Throws the reason: missing, another kind, or already decided.
    await openAnalyzerProposal(db, id, "add_host");
    throw new ShardcastError("conflict", "this proposal changed while it was approved; try again");
  }
  const proposal = await getAnalyzerProposal(db, id);
  if (!proposal) throw new ShardcastError("not_found", "no such proposal");
  return proposal;
}

/** The approval a host.provision job serves: the proposal's decision time. */
export function addHostApproval(p: AnalyzerProposalInfo): string | null {
  return p.decidedAt?.toISOString() ?? null;
}

/** One job id per approval, so a resent add of the same job is one job. */
function provisionJobId(id: string, approvedAt: string): string {
  return `provision-${id}-${Date.parse(approvedAt) || 0}`;
}

/**
 * The worker's claim on an approved add_host before it provisions: the provisioning moves from
 * queued to running only while the approval the job names (`approvedAt`; any, for an in-process
 * call) still stands. False when the approval was undone or another job already claimed it.
 */
export async function claimAddHostProvision(db: ControlDb, id: string, approvedAt: string | undefined, atMs: number): Promise<boolean> {
  // decided_at is a UTC timestamp without zone, as Prisma writes it.
  const decided = approvedAt ?? null;
  const claimed = await db.$executeRaw`
    UPDATE analyzer_proposals
    SET details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('provision', jsonb_build_object('status', 'running', 'at', ${new Date(atMs).toISOString()}::text))
    WHERE id = ${id} AND kind = 'add_host' AND status = 'applied'
      AND (${decided}::text IS NULL OR decided_at = (${decided}::timestamptz AT TIME ZONE 'UTC'))
      AND COALESCE(details->'provision'->>'status', 'queued') = 'queued'`;
  return claimed === 1;
}
