import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { toProposal, type AnalyzerProposalInfo, type AnalyzerProposalKind, type AnalyzerProposalStatus, type NewAnalyzerProposal, type ProposalSource } from "./proposal-row.ts";
import { storeProposals, type StoredProposals } from "./proposal-store.ts";

export * from "./proposal-row.ts";
export type { StoredProposals } from "./proposal-store.ts";

/**
 * Stores a run's proposals. One the same as an open proposal (same identity: see
 * `proposalIdentity`) keeps that proposal's id with this run's figures, so an operator's click
 * made before the run still acts on it; one a person dismissed is held back until its figures
 * change materially; the rest open. Older open proposals in the run's scope that this run did not
 * make again are `superseded` (a proposal stands for the latest forecast only). The scope is the
 * run's streams; add_host proposals are cluster-wide and replaced only by a run over every stream.
 */
export async function replaceAnalyzerProposals(
  db: ControlDb,
  runId: string,
  proposals: readonly NewAnalyzerProposal[],
  scope: { streamIds: readonly string[] | null; atMs?: number },
): Promise<StoredProposals> {
  const where: Prisma.AnalyzerProposalWhereInput = scope.streamIds ? { streamId: { in: [...scope.streamIds] } } : {};
  return db.$transaction((tx) => storeProposals(tx, proposals, { source: "analyzer", runId, atMs: scope.atMs ?? Date.now(), scope: where }));
}

/**
 * Stores the orchestrator's proposals for the given streams, the same way as the analyzer's: the
 * same proposal keeps its id (refreshed reason and details), a dismissed one stays dismissed until
 * it changes materially, other open orchestrator proposals of these streams are superseded.
 */
export async function replaceOrchestratorProposals(
  db: ControlDb,
  proposals: readonly NewAnalyzerProposal[],
  scope: { streamIds: readonly string[]; atMs?: number },
): Promise<StoredProposals> {
  return db.$transaction((tx) =>
    storeProposals(tx, proposals, { source: "orchestrator", runId: null, atMs: scope.atMs ?? Date.now(), scope: { streamId: { in: [...scope.streamIds] } } }),
  );
}

export async function getAnalyzerProposal(db: ControlDb, id: string): Promise<AnalyzerProposalInfo | null> {
  const row = await db.analyzerProposal.findUnique({ where: { id } });
  return row ? toProposal(row) : null;
}

export async function listAnalyzerProposals(
  db: ControlDb,
  q: { status?: AnalyzerProposalStatus | "decided"; streamId?: string; shardletId?: string; kind?: AnalyzerProposalKind; source?: ProposalSource; limit: number },
): Promise<AnalyzerProposalInfo[]> {
  const rows = await db.analyzerProposal.findMany({
    where: {
      ...(q.status === "decided" ? { status: { in: ["applied", "dismissed"] } } : q.status ? { status: q.status } : {}),
      ...(q.streamId ? { streamId: q.streamId } : {}),
      ...(q.shardletId ? { shardletId: q.shardletId } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.source ? { source: q.source } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(q.limit, 500)),
  });
  const list = rows.map(toProposal);
  // Open proposals read best most urgent first; history newest first.
  if (q.status === "open") list.sort((a, b) => (a.urgencySec ?? Infinity) - (b.urgencySec ?? Infinity) || b.expectedBenefit - a.expectedBenefit);
  return list;
}

function conflictFor(p: AnalyzerProposalInfo): ShardcastError {
  return new ShardcastError(
    "conflict",
    p.status === "superseded"
      ? `this proposal was replaced by a newer ${p.source === "orchestrator" ? "orchestrator" : "analyzer"} run; act on the current one`
      : `this proposal was already ${p.status}${p.decidedBy ? ` by ${p.decidedBy}` : ""}`,
    { status: p.status },
  );
}

async function decide(
  db: ControlDb,
  id: string,
  data: { status: "applied" | "dismissed"; decidedBy: string | null; migrationId?: string | null },
): Promise<AnalyzerProposalInfo> {
  const changed = await db.analyzerProposal.updateMany({
    where: { id, status: "open" },
    data: { status: data.status, decidedBy: data.decidedBy, decidedAt: new Date(), ...(data.migrationId ? { migrationId: data.migrationId } : {}) },
  });
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  if (changed.count === 0) throw conflictFor(p);
  return p;
}

/** An open proposal as it stands, or a clear error (missing, already decided, superseded). */
export async function openAnalyzerProposal(db: ControlDb, id: string, kind?: AnalyzerProposalKind): Promise<AnalyzerProposalInfo> {
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  if (kind && p.kind !== kind) throw new ShardcastError("bad_request", `this is a ${p.kind.replace("_", " ")} proposal, not ${kind.replace("_", " ")}`);
  if (p.status !== "open") throw conflictFor(p);
  return p;
}

export function dismissAnalyzerProposal(db: ControlDb, id: string, actor: string | null): Promise<AnalyzerProposalInfo> {
  return decide(db, id, { status: "dismissed", decidedBy: actor });
}

/** Marks an open proposal applied (with the migration it became); conflict when it is no longer open. */
export function markAnalyzerProposalApplied(db: ControlDb, id: string, opts: { actor: string | null; migrationId?: string | null }): Promise<AnalyzerProposalInfo> {
  return decide(db, id, { status: "applied", decidedBy: opts.actor, migrationId: opts.migrationId ?? null });
}

/** Records extra facts on a proposal (e.g. the provisioning result of an add_host). */
export async function addAnalyzerProposalDetails(db: ControlDb, id: string, extra: Record<string, unknown>): Promise<void> {
  const p = await getAnalyzerProposal(db, id);
  if (!p) throw new ShardcastError("not_found", "no such proposal");
  await db.analyzerProposal.update({ where: { id }, data: { details: { ...(p.details ?? {}), ...extra } as Prisma.InputJsonValue } });
}
