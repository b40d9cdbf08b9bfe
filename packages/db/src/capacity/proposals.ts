import { ShardcastError, type ScaleInPlan, type ScaleOutPlan } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { addAnalyzerProposalDetails, getAnalyzerProposal, markAnalyzerProposalApplied, openAnalyzerProposal, type AnalyzerProposalInfo } from "../analyzer/proposals.ts";
import { setHostDraining } from "../host-drain.ts";

/**
 * Details of an add_host proposal: the plan's scale-out (count, needByMs, startByMs, leadSec,
 * fillBytes, late, peak) and the cluster forecast that drives it.
 */
export interface AddHostDetails extends Omit<ScaleOutPlan, "reason"> {
  forecast: { startMs: number; stepMs: number; values: number[] };
  observed: number;
  hostsNow: number;
  hostCapacity: number;
  /** Why the forecast was not trusted (the plan then followed the observed load). */
  untrusted: string | null;
}

/** Details of a drain_host proposal: the plan's scale-in (the host is the proposal's sourceHostId). */
export interface DrainHostDetails extends Omit<ScaleInPlan, "reason"> {
  forecast: { startMs: number; stepMs: number; values: number[] };
  observed: number;
  hostsNow: number;
}

/**
 * Approved add_host proposals (since `since`) whose host is not registered yet: the hosts the
 * planner counts as provisioning. A provisioning that failed or registered its host is not pending.
 * One that succeeded without naming a host (a hook that registers the host itself, later) stays
 * pending until a host no provisioning named registers after it was approved: counted as done at
 * once, the next run would see the same shortfall and order another host, every run, until the
 * first one arrived.
 */
export async function pendingHostProvisions(db: ControlDb, since: Date): Promise<AnalyzerProposalInfo[]> {
  const rows = await db.analyzerProposal.findMany({
    where: { kind: "add_host", status: "applied", decidedAt: { gte: since } },
    orderBy: { decidedAt: "asc" },
    select: { id: true },
  });
  const out: AnalyzerProposalInfo[] = [];
  const awaitingHost: AnalyzerProposalInfo[] = [];
  const named = new Set<string>();
  for (const r of rows) {
    const p = await getAnalyzerProposal(db, r.id);
    if (!p) continue;
    const provision = p.details?.provision as { status?: unknown; hostId?: unknown } | undefined;
    if (provision?.status === "failed") continue;
    if (provision?.status !== "succeeded") out.push(p);
    else if (typeof provision.hostId === "string") named.add(provision.hostId);
    else awaitingHost.push(p);
  }
  if (awaitingHost.length === 0) return out;
  // Each host registered since, that no provisioning named, fulfils the oldest waiting one it follows.
  const hosts = (await db.host.findMany({ where: { createdAt: { gte: since } }, select: { id: true, createdAt: true }, orderBy: { createdAt: "asc" } })).filter((h) => !named.has(h.id));
  for (const p of awaitingHost) {
    const i = hosts.findIndex((h) => p.decidedAt === null || h.createdAt >= p.decidedAt);
    if (i >= 0) hosts.splice(i, 1);
    else out.push(p);
  }
  return out;
}

/**
 * Approves a drain_host proposal: the host becomes `draining` (the rebalancer moves every
 * shardlet off it, nothing new is placed on it) and the proposal `applied`. The worker retires
 * the host once it is empty. Refused when the host is not active any more.
 */
export async function approveDrainHostProposal(
  db: ControlDb,
  id: string,
  actor: string,
): Promise<{ proposal: AnalyzerProposalInfo; host: { id: string; name: string } }> {
  const p = await openAnalyzerProposal(db, id, "drain_host");
  if (!p.sourceHostId) throw new ShardcastError("internal", `drain_host proposal ${id} names no host`);
  const host = await db.host.findUnique({ where: { id: p.sourceHostId }, select: { name: true, status: true, retiredAt: true } });
  if (!host) throw new ShardcastError("conflict", "the host of this proposal no longer exists; wait for the next analyzer run", { reason: "stale" });
  if (host.status !== "active" || host.retiredAt) {
    throw new ShardcastError("conflict", `host ${host.name} is ${host.retiredAt ? "retired" : host.status}, not active: wait for the next analyzer run`, { reason: "stale" });
  }
  await setHostDraining(db, p.sourceHostId, true);
  const proposal = await markAnalyzerProposalApplied(db, id, { actor });
  await addAnalyzerProposalDetails(db, id, { drainStatus: { status: "draining", at: new Date().toISOString() } });
  return { proposal, host: { id: p.sourceHostId, name: host.name } };
}

/** Applied drain_host proposals whose host has not been retired yet (the worker retires them once empty). */
export async function drainsInProgress(db: ControlDb): Promise<Array<{ proposal: AnalyzerProposalInfo; hostId: string; hostName: string }>> {
  const rows = await db.analyzerProposal.findMany({
    where: { kind: "drain_host", status: "applied", sourceHostId: { not: null } },
    orderBy: { decidedAt: "asc" },
    select: { id: true, sourceHostId: true },
  });
  if (rows.length === 0) return [];
  const hosts = await db.host.findMany({
    where: { id: { in: rows.map((r) => r.sourceHostId!) }, retiredAt: null, status: "draining" },
    select: { id: true, name: true },
  });
  const byId = new Map(hosts.map((h) => [h.id, h.name]));
  const out: Array<{ proposal: AnalyzerProposalInfo; hostId: string; hostName: string }> = [];
  for (const r of rows) {
    const name = byId.get(r.sourceHostId!);
    const p = name !== undefined ? await getAnalyzerProposal(db, r.id) : null;
    if (p && name !== undefined) out.push({ proposal: p, hostId: r.sourceHostId!, hostName: name });
  }
  return out;
}
