import type { MoveMode } from "../migration/phases.ts";
import type { Forecaster } from "../forecast/types.ts";
import type { MoveProposal, PlacementHost, PlacementNote, PlacementShardlet } from "../placement/types.ts";
import type { AnalyzerSettings } from "./settings.ts";

export interface AnalyzerShardlet extends PlacementShardlet {
  capacityBytes: number;
  /** Writes/s per bucket, oldest first, the last one ending now. */
  history: readonly number[];
  /** Hinted writes/s for each horizon step (client hints), if any. */
  hints?: readonly number[];
  /** Mean stored bytes per event, to turn forecast writes into growth (0 or absent: size is held). */
  bytesPerEvent?: number;
  /** False when the range cannot be split (narrower than twice the minimum width); default true. */
  splittable?: boolean;
}

export interface AnalyzerInput {
  now: number;
  bucketMs: number;
  horizonSteps: number;
  period: number;
  hosts: readonly PlacementHost[];
  shardlets: readonly AnalyzerShardlet[];
  /** Write-rate (events/s) and fullness thresholds at which a shardlet splits (lifecycle settings). */
  splitWriteRate: number;
  splitFullness: number;
  forecaster: Forecaster;
  settings: AnalyzerSettings;
  /** Shardlets already being moved or split: not proposed again. */
  busy?: ReadonlySet<string>;
  /** Shardlets that may be split but not moved (moved recently: the cool-down against ping-pong). */
  pinned?: ReadonlySet<string>;
  /**
   * Shardlets whose recent forecasts missed (the forecast error tracker), with why. Each is planned
   * on its observed rate held flat, as the reactive path would, until its forecasts are close again.
   */
  untrusted?: ReadonlyMap<string, string>;
  /**
   * How its moves run (the rebalance settings' `moveMode`): a hand-off costs no copy, so a move is
   * judged on its load alone and nothing lands on the destination's bytes. Default `copy`.
   */
  moveMode?: MoveMode;
}

export interface RankedShardlet {
  shardletId: string;
  /** Highest forecast write rate over the horizon (events/s). */
  predictedPeak: number;
  /** Write rate counted as overload: overloadFraction x the split write rate. */
  threshold: number;
  /** Seconds until the forecast first reaches the threshold (rate or fullness); null if it does not within the horizon. */
  overloadInSec: number | null;
  /** Predicted pressure: the larger of peak / threshold and peak fullness / split fullness (>= 1 is an overload). */
  score: number;
}

export interface SplitProposal {
  shardletId: string;
  streamId: string;
  reason: string;
  urgencySec: number;
  predictedPeak: number;
}

export interface AddHostProposal {
  reason: string;
  urgencySec: number;
  /** Forecast total write rate per horizon step (events/s). */
  forecastClusterLoad: number[];
  /** Write capacity of the active hosts (events/s). */
  capacity: number;
  /** Forecast total stored bytes per horizon step. */
  forecastClusterBytes?: number[];
  capacityBytes?: number;
}

export interface AnalyzerOutput {
  /** What each shardlet was planned on: the model's forecast, or its observed rate where that is untrusted. */
  forecasts: Map<string, number[]>;
  /** The model's own forecast of each untrusted shardlet (to keep judging the model while it is not acted on). */
  modelForecasts: Map<string, number[]>;
  /** Shardlets the model did not forecast (it failed, or there was no history): their rate is carried forward. */
  carried: Set<string>;
  ranking: RankedShardlet[];
  splits: SplitProposal[];
  moves: MoveProposal[];
  addHost: AddHostProposal | null;
  notes: PlacementNote[];
}
