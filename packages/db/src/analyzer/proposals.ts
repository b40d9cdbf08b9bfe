import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { Prisma, type AnalyzerProposal as ProposalRow } from "../generated/prisma/client.ts";

export const ANALYZER_PROPOSAL_KINDS = ["split", "migrate", "add_host", "drain_host"] as const;
export type AnalyzerProposalKind = (typeof ANALYZER_PROPOSAL_KINDS)[number];
export const ANALYZER_PROPOSAL_STATUSES = ["open", "applied", "dismissed", "superseded"] as const;
export type AnalyzerProposalStatus = (typeof ANALYZER_PROPOSAL_STATUSES)[number];

export interface NewAnalyzerProposal {
  kind: AnalyzerProposalKind;
  streamId?: string | null;
  shardletId?: string | null;
  sourceHostId?: string | null;
  destHostId?: string | null;
  urgencySec?: number | null;
  expectedBenefit?: number;
  reason: string;
  details?: Record<string, unknown> | null;
}

/** Who proposed: the forecast-driven analyzer or the health-driven orchestrator. */
export const PROPOSAL_SOURCES = ["analyzer", "orchestrator"] as const;
export type ProposalSource = (typeof PROPOSAL_SOURCES)[number];

export interface AnalyzerProposalInfo {
  id: string;
  /** The analyzer run; null for the orchestrator's proposals. */
  runId: string | null;
  source: ProposalSource;
  kind: AnalyzerProposalKind;
  streamId: string | null;
  shardletId: string | null;
  sourceHostId: string | null;
  destHostId: string | null;
  urgencySec: number | null;
  expectedBenefit: number;
  reason: string;
  details: Record<string, unknown> | null;
  status: AnalyzerProposalStatus;
  migrationId: string | null;
  createdAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
}

function toProposal(r: ProposalRow): AnalyzerProposalInfo {
  return {
    id: r.id,
    runId: r.runId,
    source: r.source === "orchestrator" ? "orchestrator" : "analyzer",
    kind: (ANALYZER_PROPOSAL_KINDS as readonly string[]).includes(r.kind) ? (r.kind as AnalyzerProposalKind) : "split",
    streamId: r.streamId,
    shardletId: r.shardletId,
    sourceHostId: r.sourceHostId,
    destHostId: r.destHostId,
    urgencySec: r.urgencySec,
    expectedBenefit: r.expectedBenefit,
    reason: r.reason,
    details: r.details !== null && typeof r.details === "object" && !Array.isArray(r.details) ? r.details : null,
    status: (ANALYZER_PROPOSAL_STATUSES as readonly string[]).includes(r.status) ? (r.status as AnalyzerProposalStatus) : "open",
    migrationId: r.migrationId,
    createdAt: r.createdAt,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
  };
}

/**
 * Stores a run's proposals as `open` and marks every older open proposal in the run's scope
 * `superseded` (a proposal stands for the latest forecast only). The scope is the run's streams;
 * add_host proposals are cluster-wide and replaced only by a run over every stream.
 */
export async function replaceAnalyzerProposals(
  db: ControlDb,
  runId: string,
  proposals: readonly NewAnalyzerProposal[],
  scope: { streamIds: readonly string[] | null },
): Promise<{ created: AnalyzerProposalInfo[]; superseded: number }> {
  return db.$transaction(async (tx) => {
    const where: Prisma.AnalyzerProposalWhereInput = scope.streamIds
      ? { status: "open", source: "analyzer", runId: { not: runId }, streamId: { in: [...scope.streamIds] } }
      : { status: "open", source: "analyzer", runId: { not: runId } };
    const superseded = await tx.analyzerProposal.updateMany({ where, data: { status: "superseded", decidedAt: new Date() } });
    const created =
      proposals.length === 0
        ? []
        : await tx.analyzerProposal.createManyAndReturn({
            data: proposals.map((p) => ({
              runId,
              kind: p.kind,
              streamId: p.streamId ?? null,
              shardletId: p.shardletId ?? null,
              sourceHostId: p.sourceHostId ?? null,
              destHostId: p.destHostId ?? null,
              urgencySec: p.urgencySec == null ? null : Math.round(p.urgencySec),
              expectedBenefit: p.expectedBenefit ?? 0,
              reason: p.reason,
              details: p.details == null ? Prisma.DbNull : (p.details as Prisma.InputJsonValue),
            })),
          });
    return { created: created.map(toProposal), superseded: superseded.count };
  });
}

/**
 * Stores the orchestrator's proposals for the given streams: an open proposal of the same kind for
 * the same shardlet stays open (its reason and details refreshed, so an operator's click on it
 * still works), other open orchestrator proposals of these streams are superseded, new ones open.
 */
export async function replaceOrchestratorProposals(
  db: ControlDb,
  proposals: readonly NewAnalyzerProposal[],
  scope: { streamIds: readonly string[] },
): Promise<{ created: AnalyzerProposalInfo[]; kept: number; superseded: number }> {
  return db.$transaction(async (tx) => {
    const open = await tx.analyzerProposal.findMany({ where: { status: "open", source: "orchestrator", streamId: { in: [...scope.streamIds] } } });
    const byKey = new Map(open.map((r) => [`${r.kind}\t${r.shardletId ?? ""}`, r]));
    const fresh: NewAnalyzerProposal[] = [];
    const keptIds = new Set<string>();
    for (const p of proposals) {
      const same = byKey.get(`${p.kind}\t${p.shardletId ?? ""}`);
      if (same && !keptIds.has(same.id)) {
        keptIds.add(same.id);
        await tx.analyzerProposal.update({
          where: { id: same.id },
          data: {
            reason: p.reason,
            expectedBenefit: p.expectedBenefit ?? 0,
            destHostId: p.destHostId ?? null,
            details: p.details == null ? Prisma.DbNull : (p.details as Prisma.InputJsonValue),
          },
        });
      } else fresh.push(p);
    }
    const superseded = await tx.analyzerProposal.updateMany({
      where: { id: { in: open.filter((r) => !keptIds.has(r.id)).map((r) => r.id) } },
      data: { status: "superseded", decidedAt: new Date() },
    });
    const created =
      fresh.length === 0
        ? []
        : await tx.analyzerProposal.createManyAndReturn({
            data: fresh.map((p) => ({
              source: "orchestrator",
              kind: p.kind,
              streamId: p.streamId ?? null,
              shardletId: p.shardletId ?? null,
              sourceHostId: p.sourceHostId ?? null,
              destHostId: p.destHostId ?? null,
              expectedBenefit: p.expectedBenefit ?? 0,
              reason: p.reason,
              details: p.details == null ? Prisma.DbNull : (p.details as Prisma.InputJsonValue),
            })),
          });
    return { created: created.map(toProposal), kept: keptIds.size, superseded: superseded.count };
  });
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
