import { ShardcastError, type CapacitySettings } from "@shardcast/core";
import {
  addAnalyzerProposalDetails,
  approveAddHostProposal,
  approveDrainHostProposal,
  drainsInProgress,
  recordOperation,
  retireDrainedHost,
  type AnalyzerProposalInfo,
  type ControlDb,
} from "@shardcast/db";
import { queueHostProvision, type JobQueue } from "@shardcast/jobs";
import type { Logger } from "@shardcast/runtime/logger";
import { ANALYZER_ACTOR } from "./act.ts";

export interface CapacityActResult {
  /** add_host proposals approved (their host is being provisioned). */
  provisioned: string[];
  /** drain_host proposals approved (their host is draining). */
  drained: string[];
  /** add_host proposals left open until their start time. */
  waiting: Array<{ proposalId: string; startByMs: number }>;
  skipped: Array<{ proposalId: string; reason: string }>;
}

export interface CapacityActOptions {
  settings: CapacitySettings;
  nowMs: number;
  /** Time to the next analyzer run (its step): a start time before then is acted on now, or it would be late. */
  stepMs: number;
  /** Where `host.provision` is enqueued (the worker's job queue). */
  queue?: JobQueue;
  /** Runs the provisioning hook in place when there is no queue (an embedded run). */
  provision?: (proposalId: string, actor: string) => Promise<unknown>;
}

function message(err: unknown): string {
  return err instanceof ShardcastError || err instanceof Error ? err.message : String(err);
}

/**
 * Act mode of the capacity plan: an add_host proposal is approved when its start time has come
 * (not earlier: a host costs from the moment it is asked for) and its host provisioned; a
 * drain_host proposal is approved at once (the plan only proposes it in a trough) and the host
 * starts draining. Each step goes to the operations log with the plan's reason.
 */
export async function actOnCapacity(db: ControlDb, log: Logger, proposals: readonly AnalyzerProposalInfo[], opts: CapacityActOptions): Promise<CapacityActResult> {
  const result: CapacityActResult = { provisioned: [], drained: [], waiting: [], skipped: [] };
  if (opts.settings.mode !== "act") return result;
  for (const p of proposals) {
    try {
      if (p.kind === "add_host") {
        const startByMs = typeof p.details?.startByMs === "number" ? p.details.startByMs : null;
        if (startByMs === null) {
          result.skipped.push({ proposalId: p.id, reason: "the scale signal without a capacity plan waits for an operator" });
          continue;
        }
        if (startByMs > opts.nowMs + opts.stepMs) {
          result.waiting.push({ proposalId: p.id, startByMs });
          continue;
        }
        if (!opts.queue && !opts.provision) {
          result.skipped.push({ proposalId: p.id, reason: "no job queue to provision the host" });
          continue;
        }
        const queue = opts.queue;
        const { jobId } = await approveAddHostProposal(db, p.id, ANALYZER_ACTOR, queue ? queueHostProvision(queue, p.id, ANALYZER_ACTOR) : () => Promise.resolve(null));
        await recordOperation(db, {
          kind: "capacity.add_host",
          status: "succeeded",
          message: `asked for a host (act mode, its start time has come): ${p.reason}`.slice(0, 2000),
          actor: ANALYZER_ACTOR,
          details: { proposalId: p.id, jobId, startByMs, needByMs: p.details?.needByMs ?? null, leadSec: p.details?.leadSec ?? null },
        });
        log.info("capacity: adding a host", { proposalId: p.id, startByMs, needByMs: p.details?.needByMs ?? null });
        result.provisioned.push(p.id);
        if (!queue && opts.provision) await opts.provision(p.id, ANALYZER_ACTOR);
      } else if (p.kind === "drain_host") {
        const { host } = await approveDrainHostProposal(db, p.id, ANALYZER_ACTOR);
        await recordOperation(db, {
          kind: "capacity.drain_host",
          status: "succeeded",
          message: `draining host ${host.name} (act mode): ${p.reason}`.slice(0, 2000),
          hostId: host.id,
          actor: ANALYZER_ACTOR,
          details: { proposalId: p.id, troughEndsMs: p.details?.troughEndsMs ?? null, bytes: p.details?.bytes ?? null },
        });
        log.info("capacity: draining a host", { proposalId: p.id, host: host.name });
        result.drained.push(p.id);
      }
    } catch (err) {
      result.skipped.push({ proposalId: p.id, reason: message(err) });
      log.warn("capacity plan could not act on a proposal", { proposalId: p.id, kind: p.kind, error: message(err) });
    }
  }
  return result;
}

/**
 * Hosts whose approved drain (by an operator or act mode) has emptied them are retired: they stay
 * `draining`, take nothing, and are left out of the cluster's capacity. A host still holding a
 * shardlet or a shard's overflow log is left alone (retireDrainedHost refuses it).
 */
export async function retireDrainedHosts(db: ControlDb, log: Logger, nowMs: number): Promise<string[]> {
  const retired: string[] = [];
  for (const d of await drainsInProgress(db)) {
    try {
      await retireDrainedHost(db, d.hostId, new Date(nowMs));
    } catch (err) {
      if (err instanceof ShardcastError && err.code === "conflict") continue;
      throw err;
    }
    await addAnalyzerProposalDetails(db, d.proposal.id, { drainStatus: { status: "retired", at: new Date(nowMs).toISOString() } });
    await recordOperation(db, {
      kind: "capacity.retire_host",
      status: "succeeded",
      message: `retired host ${d.hostName}: drained empty (${d.proposal.reason})`.slice(0, 2000),
      hostId: d.hostId,
      actor: d.proposal.decidedBy ?? ANALYZER_ACTOR,
      details: { proposalId: d.proposal.id },
    });
    log.info("capacity: host retired", { host: d.hostName, proposalId: d.proposal.id });
    retired.push(d.hostId);
  }
  return retired;
}
