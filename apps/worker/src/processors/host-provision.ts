import { ShardcastError } from "@shardcast/core";
import { addAnalyzerProposalDetails, addHostApproval, claimAddHostProvision, getAnalyzerProposal, recordOperation } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { provisionHost, provisionRequest, type ProvisionResult } from "../analyzer/provision.ts";

/**
 * `host.provision`: adds the storage host an operator approved (an applied add_host proposal)
 * through the configured provisioning hook, and records the outcome on the proposal and in the
 * operations log. A failure is recorded too, then the job fails (not retried: a hook may not be
 * idempotent; the next analyzer run proposes again if capacity is still short).
 */
export async function runHostProvision(
  deps: WorkerDeps,
  payload: { proposalId: string; actor?: string; approvedAt?: string },
  opts: { signal?: AbortSignal } = {},
): Promise<{ mode: string; hostId: string | null; hostName: string | null }> {
  const { db } = deps;
  const p = await getAnalyzerProposal(db, payload.proposalId);
  if (!p) throw new ShardcastError("not_found", `no proposal ${payload.proposalId}`);
  if (p.kind !== "add_host") throw new ShardcastError("bad_request", `proposal ${p.id} is a ${p.kind} proposal, not add_host`);
  if (p.status !== "applied") throw new ShardcastError("conflict", `proposal ${p.id} was not approved (it is ${p.status})`);
  if (payload.approvedAt !== undefined && payload.approvedAt !== addHostApproval(p)) {
    throw new ShardcastError("conflict", `this job belongs to an earlier approval of proposal ${p.id}, which was undone: the current approval has its own job`);
  }
  // Checked above for a clear message; the claim is what decides, against an undo racing this job.
  if (!(await claimAddHostProvision(db, p.id, payload.approvedAt, deps.clock()))) {
    throw new ShardcastError("conflict", `the approval of proposal ${p.id} was undone or is already being provisioned by another job`);
  }
  const config = deps.provision ?? { mode: "off" as const };
  const started = deps.clock();
  const req = await provisionRequest(db, p, payload.actor ?? p.decidedBy);
  let result: ProvisionResult;
  try {
    result = await provisionHost(db, config, req, opts.signal);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await addAnalyzerProposalDetails(db, p.id, { provision: { status: "failed", mode: config.mode, message, at: new Date(deps.clock()).toISOString() } });
    await recordOperation(db, {
      kind: "host.provision",
      status: "failed",
      message: `adding a host (${config.mode}) failed: ${message}`,
      actor: payload.actor ?? p.decidedBy,
      details: { proposalId: p.id, mode: config.mode },
      durationMs: deps.clock() - started,
    });
    deps.log.warn("host provisioning failed", { proposalId: p.id, mode: config.mode, error: message });
    throw err;
  }
  await addAnalyzerProposalDetails(db, p.id, {
    provision: {
      status: "succeeded",
      mode: result.mode,
      message: result.message,
      hostId: result.host?.id ?? null,
      hostName: result.host?.name ?? null,
      ...(result.output ? { output: result.output } : {}),
      at: new Date(deps.clock()).toISOString(),
    },
  });
  await recordOperation(db, {
    kind: "host.provision",
    status: "succeeded",
    message: result.message,
    hostId: result.host?.id ?? null,
    actor: payload.actor ?? p.decidedBy,
    details: { proposalId: p.id, mode: result.mode, reason: p.reason },
    durationMs: deps.clock() - started,
  });
  deps.log.info("host provisioned", { proposalId: p.id, mode: result.mode, host: result.host?.name ?? null });
  return { mode: result.mode, hostId: result.host?.id ?? null, hostName: result.host?.name ?? null };
}
