import { materialChange, proposalFigures, proposalIdentity } from "@shardcast/core";
import { Prisma, type AnalyzerProposal as ProposalRow } from "../generated/prisma/client.ts";
import { toProposal, type AnalyzerProposalInfo, type NewAnalyzerProposal, type ProposalSource } from "./proposal-row.ts";

export interface StoredProposals {
  /** This run's proposals as they now stand open: the ones kept (their ids unchanged) and the new ones. */
  current: AnalyzerProposalInfo[];
  /** Of `current`, the ones opened by this run. */
  created: AnalyzerProposalInfo[];
  kept: number;
  superseded: number;
  /** Proposals not stored because a person dismissed the same and it has not changed materially. */
  heldBack: number;
}

interface StoreOptions {
  source: ProposalSource;
  /** The analyzer run; null for the orchestrator. */
  runId: string | null;
  /** The run's clock: when the figures were computed. */
  atMs: number;
  /** The open proposals this run speaks for: those it does not make again are superseded. */
  scope: Prisma.AnalyzerProposalWhereInput;
}

function columns(p: NewAnalyzerProposal) {
  return {
    urgencySec: p.urgencySec == null ? null : Math.round(p.urgencySec),
    expectedBenefit: p.expectedBenefit ?? 0,
    reason: p.reason,
    details: p.details == null ? Prisma.DbNull : (p.details as Prisma.InputJsonValue),
  };
}

function detailsOf(r: ProposalRow): Record<string, unknown> | null {
  return r.details !== null && typeof r.details === "object" && !Array.isArray(r.details) ? r.details : null;
}

function carryAfterDismissal(before: Record<string, unknown> | null, now: Record<string, unknown> | null): Record<string, unknown> | null {
  return before?.afterDismissal === undefined ? now : { ...(now ?? {}), afterDismissal: before.afterDismissal };
}

/**
 * The shared write of both planners. Runs inside the caller's transaction, and the planners run
 * one at a time (the planner lock), so no two runs match the same open proposal at once.
 */
export async function storeProposals(tx: Prisma.TransactionClient, proposals: readonly NewAnalyzerProposal[], opts: StoreOptions): Promise<StoredProposals> {
  const { source, runId } = opts;
  const at = new Date(opts.atMs);
  const keyed = proposals.map((p) => ({ p, identity: proposalIdentity({ ...p, source }) }));
  const identities = [...new Set(keyed.map((k) => k.identity))];
  const [open, decided] = await Promise.all([
    tx.analyzerProposal.findMany({ where: { source, status: "open", identity: { in: identities } } }),
    // The latest decision on each identity: a dismissal counts only if nothing was applied since.
    tx.analyzerProposal.findMany({ where: { source, status: { in: ["dismissed", "applied"] }, identity: { in: identities } }, orderBy: [{ decidedAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }] }),
  ]);
  const openBy = new Map<string, ProposalRow>();
  for (const r of open) if (r.identity && !openBy.has(r.identity)) openBy.set(r.identity, r);
  const decidedBy = new Map<string, ProposalRow>();
  for (const r of decided) if (r.identity && !decidedBy.has(r.identity)) decidedBy.set(r.identity, r);

  const kept: AnalyzerProposalInfo[] = [];
  const keptIds = new Set<string>();
  const fresh: Array<{ p: NewAnalyzerProposal; identity: string; details: Record<string, unknown> | null }> = [];
  const holding = new Set<string>();
  for (const { p, identity } of keyed) {
    const same = openBy.get(identity);
    if (same && !keptIds.has(same.id)) {
      keptIds.add(same.id);
      const row = await tx.analyzerProposal.update({
        where: { id: same.id },
        // A proposal asked again after a dismissal keeps saying why, while it stays open.
        data: { ...columns({ ...p, details: carryAfterDismissal(detailsOf(same), p.details ?? null) }), ...(runId ? { runId } : {}), sourceHostId: p.sourceHostId ?? null, destHostId: p.destHostId ?? null, seenAt: at },
      });
      kept.push(toProposal(row));
      continue;
    }
    const last = decidedBy.get(identity);
    if (last?.status === "dismissed") {
      const why = materialChange(proposalFigures({ ...last, details: detailsOf(last) }, last.seenAt.getTime()), proposalFigures(p, opts.atMs));
      if (!why) {
        holding.add(last.id);
        continue;
      }
      fresh.push({ p, identity, details: { ...(p.details ?? {}), afterDismissal: { proposalId: last.id, dismissedBy: last.decidedBy, why } } });
      continue;
    }
    fresh.push({ p, identity, details: p.details ?? null });
  }
  // A held-back dismissal moves to this run, so the analyzer's retention (which drops old runs and
  // what hangs off them) keeps it for as long as its condition lasts.
  if (runId && holding.size > 0) await tx.analyzerProposal.updateMany({ where: { id: { in: [...holding] } }, data: { runId } });

  // Open proposals in scope that this run did not make again answer a forecast that is gone; those
  // an earlier call for this same run stored are its own and stay.
  const stale = await tx.analyzerProposal.findMany({
    where: { AND: [opts.scope, { source, status: "open", id: { notIn: [...keptIds] } }, ...(runId ? [{ OR: [{ runId: null }, { runId: { not: runId } }] }] : [])] },
    select: { id: true },
  });
  const superseded =
    stale.length === 0 ? { count: 0 } : await tx.analyzerProposal.updateMany({ where: { id: { in: stale.map((r) => r.id) }, status: "open" }, data: { status: "superseded", decidedAt: new Date() } });

  const created =
    fresh.length === 0
      ? []
      : await tx.analyzerProposal.createManyAndReturn({
          data: fresh.map(({ p, identity, details }) => ({
            ...columns({ ...p, details }),
            runId,
            source,
            identity,
            seenAt: at,
            kind: p.kind,
            streamId: p.streamId ?? null,
            shardletId: p.shardletId ?? null,
            sourceHostId: p.sourceHostId ?? null,
            destHostId: p.destHostId ?? null,
          })),
        });
  const createdInfo = created.map(toProposal);
  return { current: [...kept, ...createdInfo], created: createdInfo, kept: kept.length, superseded: superseded.count, heldBack: holding.size };
}
