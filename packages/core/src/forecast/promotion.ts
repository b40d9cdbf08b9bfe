import { ShardcastError } from "../errors.ts";

/**
 * When a freshly trained model version takes over from the one that serves: it must beat the
 * serving version's MASE, scored on the candidate's held-out window when possible. While no
 * version serves, the default per-series selection does, so that is the bar (seasonal naive's
 * when the selection could not be scored): a version that beats only seasonal naive would make
 * forecasts worse than what the analyzer already has.
 */

export interface PromotionBenchmark {
  /** The active version when the candidate was scored (null: the baselines served). */
  activeId: string | null;
  /** That version's MASE re-scored on the candidate's held-out window (null: not re-scored). */
  activeMase: number | null;
  /** Seasonal naive's MASE on the same window: the reference figure, and the bar when nothing else was scored. */
  baselineMase: number;
  /** The default per-series selection's MASE on the same window: the bar while no version is active (null or absent: not scored). */
  defaultMase?: number | null;
}

export interface ModelScores {
  mae: number;
  rmse: number;
  mase: number;
}

/** A model version as people read it in messages: "lstm v3". */
export const modelVersionLabel = (r: { kind: string; version: number }): string => `${r.kind} v${r.version}`;

/** Rejects error figures a finished training cannot have produced. */
export function checkModelScores(s: ModelScores): void {
  for (const k of ["mae", "rmse", "mase"] as const) {
    const v = s[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new ShardcastError("bad_request", `model ${k} must be a finite non-negative number, got ${String(v)}`);
  }
}

/** The MASE a candidate must beat and what it belongs to, given the version that serves now (null: none). */
export function promotionBar(
  active: { id: string; kind: string; version: number; mase: number | null } | null,
  bench: PromotionBenchmark,
): { bar: number; against: string } {
  if (!active) {
    const d = bench.defaultMase;
    return d !== undefined && d !== null && Number.isFinite(d) ? { bar: d, against: "the default selection on the same window" } : { bar: bench.baselineMase, against: "seasonal naive" };
  }
  if (active.id === bench.activeId && bench.activeMase !== null && Number.isFinite(bench.activeMase)) {
    return { bar: bench.activeMase, against: `${modelVersionLabel(active)} on the same window` };
  }
  // The active version changed while this one trained: compare with its stored figure.
  return { bar: active.mase ?? Infinity, against: modelVersionLabel(active) };
}

export function beatsPromotionBar(mase: number, bar: number): boolean {
  // Figures pass through float8 columns and JSON, which may change the last bit: a tie (the
  // same model scored twice) must not count as beating it.
  return mase < bar * (1 - 1e-9);
}
