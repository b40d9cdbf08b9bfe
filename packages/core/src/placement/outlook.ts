/**
 * A short look-ahead per host from its own trend, for the rebalancer's `outlook` input: how much
 * its shardlets' load rose over the last window, carried on for the lead (never down: a falling
 * host needs no early move). The trend is summed over the shardlets a host holds now, each against
 * its own load a window ago, so a migration that lands or leaves is not mistaken for a trend, and
 * one shardlet's noise is netted against the others' before the host's rise is clipped at zero.
 * The simulator's predictive policy and the product's planner both call it.
 */

export interface OutlookShardlet {
  id: string;
  hostId: string;
  /** Events/s now. */
  load: number;
}

export interface HostOutlookInput {
  shardlets: readonly OutlookShardlet[];
  /**
   * Shardlet id -> its load a window ago, measured as `load` is. A shardlet missing here (split or
   * merged since) counts as flat: its parent's history is spread over other ranges.
   */
  loadWindowAgo: ReadonlyMap<string, number>;
  /**
   * Shardlet id -> its load now, measured as `loadWindowAgo` is, when `load` is measured otherwise
   * (the product plans on accounting's rates but has only telemetry a window back): the rise then
   * compares like with like, and the host's base stays `load`. Default: `load`.
   */
  loadNowMeasured?: ReadonlyMap<string, number>;
  /** Shardlet id -> destination host of its move in flight: it counts there, as the rebalancer plans it. */
  inFlightMoves?: ReadonlyMap<string, string>;
  /** The lead over the window (lead 1 h on a 1 h window: 1): how far the window's rise is carried on. */
  leadPerWindow: number;
}

/** Host id -> its load plus its rise carried on for the lead, for hosts whose load rose (others are left out). */
export function hostOutlook(input: HostOutlookInput): Map<string, number> {
  const out = new Map<string, number>();
  const lead = Math.max(0, input.leadPerWindow);
  if (!(lead > 0) || !Number.isFinite(lead)) return out;
  const load = new Map<string, number>();
  const rise = new Map<string, number>();
  for (const s of input.shardlets) {
    const host = input.inFlightMoves?.get(s.id) ?? s.hostId;
    const cur = Math.max(0, s.load);
    load.set(host, (load.get(host) ?? 0) + cur);
    const before = input.loadWindowAgo.get(s.id);
    if (before === undefined || !Number.isFinite(before)) continue;
    const measured = input.loadNowMeasured?.get(s.id);
    const from = measured !== undefined && Number.isFinite(measured) ? Math.max(0, measured) : cur;
    rise.set(host, (rise.get(host) ?? 0) + from - Math.max(0, before));
  }
  for (const [host, r] of rise) if (r > 0) out.set(host, (load.get(host) ?? 0) + r * lead);
  return out;
}
