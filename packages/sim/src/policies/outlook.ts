import { hostOutlook } from "@shardcast/core";
import type { PolicyView } from "../engine/types.ts";

/**
 * Core's `hostOutlook` on the simulator's clock: keeps each tick's shardlet loads for one window,
 * so the rise is taken against the loads `windowMinutes` ago (the product reads them from
 * telemetry instead).
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
    return hostOutlook({ shardlets: view.shardlets, loadWindowAgo: old ?? new Map(), inFlightMoves: view.inFlightMoves, leadPerWindow: this.#leadPerWindow });
  }
}
