import type { AnalyzerProposal as ProposalRow } from "../generated/prisma/client.ts";

/** The planners' proposals as the rest of the system sees them (the row's strings checked). */

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

export function toProposal(r: ProposalRow): AnalyzerProposalInfo {
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
