import { fmtPct, fmtRate } from "./format.ts";
import { buildModel, loadPhrase, meanPhrase, shardletLabel, type HostModel, type ModelInput } from "./model.ts";
import type { RebalanceSettings } from "./settings.ts";

/** A rebalancer proposal nobody has decided on yet. */
export interface UndecidedMove {
  id: string;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
}

/**
 * Undecided rebalancer proposals whose reason no longer holds, with the reason in words: the source
 * is back at or below the level a move relieves it to, or taking the shardlet would now lift the
 * destination above that level (where it would trigger moves back). Without this a proposal waits
 * out its time to live while the load it answered has gone, and a later one may propose the
 * opposite move beside it.
 *
 * Judged on the cluster as it is now (with the same outlook the planner uses): moves already
 * approved or running count where they go, undecided proposals do not (they may never run, and a
 * proposal must not be kept alive by itself). The thresholds are the planner's: a source triggers
 * above share x (1 + tolerance) and is relieved to share x (1 + tolerance - hysteresis), so a load
 * that merely wavers around the trigger does not withdraw and re-propose the same move.
 */
export function staleRebalanceReasons(
  input: ModelInput & { settings: RebalanceSettings },
  undecided: readonly UndecidedMove[],
): Map<string, string> {
  const out = new Map<string, string>();
  if (undecided.length === 0) return out;
  const pending = new Set(undecided.map((m) => m.shardletId));
  const decided = new Map([...(input.inFlightMoves ?? [])].filter(([id]) => !pending.has(id)));
  const model = buildModel({ ...input, inFlightMoves: decided });
  if (model.active.length < 2 || model.totalLoad <= 0) return out;
  const { tolerance, hysteresis } = input.settings;
  const relief = (h: HostModel) => h.share * (1 + tolerance - hysteresis);
  const versus = (h: HostModel, load: number) => {
    const over = h.share > 0 ? load / h.share - 1 : 0;
    return `${fmtPct(Math.abs(over))} ${over >= 0 ? "above" : "below"} ${meanPhrase(h, model)}`;
  };
  for (const m of undecided) {
    const src = model.hosts.get(m.sourceHostId);
    const dest = model.hosts.get(m.destHostId);
    const shardlet = src?.shardlets.find((s) => s.id === m.shardletId);
    // A shardlet gone from its source, or a host gone or not active, is the TTL and premise checks' business.
    if (!src || !dest || !shardlet || src.host.status !== "active" || dest.host.status !== "active") continue;
    if (src.load <= relief(src) + 1e-9) {
      out.set(
        m.id,
        `${loadPhrase(src, src.load, input.outlookLeadSec)}, ${versus(src, src.load)}: no longer above the level moves relieve it to (+${fmtPct(tolerance - hysteresis)})`,
      );
      continue;
    }
    const after = dest.load + Math.max(0, shardlet.load);
    if (after > relief(dest) + 1e-9) {
      out.set(
        m.id,
        `${dest.label} now carries ${fmtRate(dest.load)}: taking ${shardletLabel(shardlet, input.labels)} (${fmtRate(shardlet.load)}) would put it ${versus(dest, after)}, past the level a destination may reach (+${fmtPct(tolerance - hysteresis)})`,
      );
    }
  }
  return out;
}
