import type { AnalyzerOutput } from "@shardcast/core";
import type { NewAnalyzerProposal, ShardletInfo } from "@shardcast/db";

/**
 * The analyzer's output as proposal rows: what each carries in `details` is what the console
 * shows and what the migration workflow needs (bytes, expected loads, feasibility, the epoch the
 * forecast saw, so a stale proposal is refused).
 */
export function proposalRows(
  out: AnalyzerOutput,
  opts: { inScope: (streamId: string) => boolean; shardlets: ReadonlyMap<string, ShardletInfo>; fullRun: boolean; bucketSec: number },
): NewAnalyzerProposal[] {
  const rows: NewAnalyzerProposal[] = [];
  const rankOf = new Map(out.ranking.map((r) => [r.shardletId, r]));
  for (const s of out.splits) {
    if (!opts.inScope(s.streamId)) continue;
    const info = opts.shardlets.get(s.shardletId);
    const rank = rankOf.get(s.shardletId);
    rows.push({
      kind: "split",
      streamId: s.streamId,
      shardletId: s.shardletId,
      sourceHostId: info?.hostId ?? null,
      urgencySec: s.urgencySec,
      expectedBenefit: s.predictedPeak,
      reason: s.reason,
      details: {
        predictedPeak: s.predictedPeak,
        threshold: rank?.threshold ?? null,
        score: rank?.score ?? null,
        shardletEpoch: info?.epoch ?? null,
        lo: info?.lo ?? null,
        hi: info?.hi ?? null,
      },
    });
  }
  for (const m of out.moves) {
    if (!opts.inScope(m.streamId)) continue;
    const info = opts.shardlets.get(m.shardletId);
    rows.push({
      kind: "migrate",
      streamId: m.streamId,
      shardletId: m.shardletId,
      sourceHostId: m.sourceHostId,
      destHostId: m.destHostId,
      urgencySec: m.urgencySec ?? null,
      expectedBenefit: m.benefit,
      reason: m.reason,
      details: {
        bytesToMove: m.bytesToMove,
        expectedLoad: m.expectedLoad,
        feasibility: m.feasibility,
        shardletEpoch: info?.epoch ?? 0,
        predictedPeak: rankOf.get(m.shardletId)?.predictedPeak ?? null,
        lo: info?.lo ?? null,
        hi: info?.hi ?? null,
      },
    });
  }
  if (out.addHost && opts.fullRun) {
    const a = out.addHost;
    rows.push({
      kind: "add_host",
      urgencySec: a.urgencySec,
      expectedBenefit: 0,
      reason: a.reason,
      details: {
        capacity: a.capacity,
        capacityBytes: a.capacityBytes ?? null,
        forecastClusterLoad: a.forecastClusterLoad,
        forecastClusterBytes: a.forecastClusterBytes ?? null,
        bucketSec: opts.bucketSec,
      },
    });
  }
  return rows;
}
