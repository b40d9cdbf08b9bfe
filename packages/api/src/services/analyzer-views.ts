import { listHostNames, listPlannerNotes, listShardletRanges, listStreamNames, type AnalyzerProposalInfo, type ControlDb } from "@shardcast/db";
import { capacityProposalPlanSchema, type CapacityProposalPlan } from "../routers/analyzer/proposal-schema.ts";
import { rangeView, type RangeView } from "../routers/shared.ts";

/** Names the console shows next to ids: streams, hosts, shardlet ranges, model versions. */
export interface Labels {
  stream(id: string | null): string | null;
  host(id: string | null): string | null;
  range(shardletId: string | null): RangeView | null;
}

export async function loadLabels(db: ControlDb, shardletIds: readonly string[]): Promise<Labels> {
  const [streams, hosts, shardlets] = await Promise.all([
    listStreamNames(db),
    listHostNames(db),
    listShardletRanges(db, shardletIds),
  ]);
  const streamName = new Map(streams.map((s) => [s.id, s.name]));
  const hostName = new Map(hosts.map((h) => [h.id, h.name]));
  const ranges = new Map(shardlets.map((s) => [s.id, rangeView(s.lo, s.hi)]));
  return {
    stream: (id) => (id ? (streamName.get(id) ?? id) : null),
    host: (id) => (id ? (hostName.get(id) ?? id) : null),
    range: (id) => (id ? (ranges.get(id) ?? null) : null),
  };
}

/** The plan figures an add_host or drain_host proposal stores in its details (absent on older ones). */
function capacityPlanOf(p: AnalyzerProposalInfo): CapacityProposalPlan | null {
  if (p.kind !== "add_host" && p.kind !== "drain_host") return null;
  const d = p.details ?? {};
  const parsed = capacityProposalPlanSchema.safeParse({ peak: null, ...d, hostId: d.hostId ?? p.sourceHostId, kind: p.kind });
  return parsed.success ? parsed.data : null;
}

export function proposalView(p: AnalyzerProposalInfo, labels: Labels) {
  const provision = p.details?.provision;
  return {
    id: p.id,
    runId: p.runId,
    source: p.source,
    kind: p.kind,
    status: p.status,
    streamId: p.streamId,
    streamName: labels.stream(p.streamId),
    shardletId: p.shardletId,
    range: labels.range(p.shardletId),
    sourceHostId: p.sourceHostId,
    sourceHostName: labels.host(p.sourceHostId),
    destHostId: p.destHostId,
    destHostName: labels.host(p.destHostId),
    urgencySec: p.urgencySec,
    expectedBenefit: p.expectedBenefit,
    reason: p.reason,
    details: p.details,
    provision: typeof provision === "object" && provision !== null ? (provision as Record<string, unknown>) : null,
    plan: capacityPlanOf(p),
    migrationId: p.migrationId,
    createdAt: p.createdAt,
    decidedBy: p.decidedBy,
    decidedAt: p.decidedAt,
  };
}

/** The last full analyzer run's notes (of one stream, if given), each with its shardlet's stream and range. */
export async function analyzerNotesView(db: ControlDb, q: { streamId?: string; limit: number }) {
  const rows = await listPlannerNotes(db, { source: "analyzer", limit: q.limit, ...(q.streamId ? { streamId: q.streamId } : {}) });
  const labels = await loadLabels(db, rows.map((n) => n.shardletId).filter((x): x is string => x !== null));
  return rows.map((n) => ({ id: n.id, at: n.at, message: n.message, streamId: n.streamId, streamName: labels.stream(n.streamId), shardletId: n.shardletId, range: labels.range(n.shardletId) }));
}
