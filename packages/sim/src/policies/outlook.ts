import type { PolicyView } from "../engine/types.ts";

/**
 * A short look-ahead per host from its own trend: how much its shardlets' load rose over the last
 * `windowMinutes`, carried on for `leadMinutes` (never down: a falling host needs no early move).
 * The trend is summed over the shardlets a host holds now, each against its own load a window ago,
 * so a migration that lands or leaves is not mistaken for a trend, and one shardlet's noise is
 * netted against the others' before the host's rise is clipped at zero. A shardlet without a load
 * a window ago (just split or merged) counts as flat.
 */
export class HostOutlook {
  readonly #past: Map<string, number>[] = [];
  readonly #windowTicks: number;
  readonly #leadPerWindow: number;

  constructor(tickMinutes: number, windowMinutes: number, leadMinutes: number) {
    this.#windowTicks = Math.max(1, Math.round(windowMinutes / Math.max(1e-9, tickMinutes)));
    this.#leadPerWindow = Math.max(0, leadMinutes) / (this.#windowTicks * tickMinutes);
  }

  /** Records this tick's loads and returns host id -> expected load within the lead (hosts with a rise only). */
  next(view: Pick<PolicyView, "shardlets" | "inFlightMoves">): Map<string, number> {
    const now = new Map<string, number>();
    for (const s of view.shardlets) now.set(s.id, Math.max(0, s.load));
    const old = this.#past.length >= this.#windowTicks ? this.#past[0] : undefined;
    this.#past.push(now);
    if (this.#past.length > this.#windowTicks) this.#past.shift();
    const load = new Map<string, number>();
    const rise = new Map<string, number>();
    for (const s of view.shardlets) {
      // A shardlet being moved is planned on its destination, as the rebalancer plans it.
      const host = view.inFlightMoves.get(s.id) ?? s.hostId;
      const cur = Math.max(0, s.load);
      load.set(host, (load.get(host) ?? 0) + cur);
      const before = old?.get(s.id);
      if (before !== undefined) rise.set(host, (rise.get(host) ?? 0) + cur - before);
    }
    const out = new Map<string, number>();
    for (const [host, r] of rise) if (r > 0) out.set(host, (load.get(host) ?? 0) + r * this.#leadPerWindow);
    return out;
  }
}
