import { copySeconds } from "./plan.ts";
import type { CapacitySettings } from "./settings.ts";

export interface TroughWindow {
  startMs: number;
  endMs: number;
}

/** Share of the forecast's range above its minimum that still counts as the trough. */
const TROUGH_SHARE = 0.25;

/**
 * The next forecast trough: the first run of steps whose cluster load is in the lowest quarter of
 * the forecast's range. Null when the forecast is flat (every time is as good as any other).
 */
export function nextTrough(forecast: { startMs: number; stepMs: number; values: readonly number[] }): TroughWindow | null {
  const v = forecast.values;
  if (v.length === 0) return null;
  const min = Math.min(...v);
  const max = Math.max(...v);
  if (!(max > 0) || max - min < 0.1 * max) return null;
  const limit = min + TROUGH_SHARE * (max - min);
  const first = v.findIndex((x) => x <= limit);
  if (first < 0) return null;
  let end = first;
  while (end < v.length && v[end]! <= limit) end++;
  return { startMs: forecast.startMs + first * forecast.stepMs, endMs: forecast.startMs + end * forecast.stepMs };
}

/**
 * Whether a move can wait for the trough: the overload it prevents comes after the trough has
 * opened and the copy (at the copy budget) has finished there. A move with no predicted overload
 * (a balance move) can always wait.
 */
export function canWaitForTrough(
  move: { urgencySec: number | null; bytesToMove: number },
  trough: TroughWindow,
  nowMs: number,
  settings: Pick<CapacitySettings, "copyBytesPerSec" | "movesPerHost" | "moveSetupSec" | "marginSec">,
): boolean {
  if (trough.startMs <= nowMs) return false;
  if (move.urgencySec === null) return true;
  // One move copies on its own: the host's parallel moves do not make it faster.
  const doneMs = trough.startMs + (copySeconds(move.bytesToMove, { ...settings, movesPerHost: 1 }) + settings.marginSec) * 1000;
  return nowMs + move.urgencySec * 1000 > doneMs;
}
