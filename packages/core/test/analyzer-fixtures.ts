import type { AnalyzerShardlet, AnalyzerSettings, Forecaster, PlacementHost } from "../src/index.ts";
import { parseAnalyzerSettings } from "../src/analyzer/settings.ts";

/** Test-only model: the least-squares line through the last `window` points, extended. */
export function linearTrend(window = 8): Forecaster {
  return {
    kind: "holt_winters",
    forecast({ history, horizon }) {
      const ys = history.slice(-window);
      const n = ys.length;
      if (n === 0) return new Array<number>(horizon).fill(0);
      const mx = (n - 1) / 2;
      const my = ys.reduce((a, b) => a + b, 0) / n;
      let num = 0;
      let den = 0;
      ys.forEach((y, x) => {
        num += (x - mx) * (y - my);
        den += (x - mx) ** 2;
      });
      const slope = den > 0 ? num / den : 0;
      return Array.from({ length: horizon }, (_, i) => Math.max(0, my + slope * (n - 1 - mx + i + 1)));
    },
  };
}

/** Test-only model that knows the future: returns `future` whatever the history. */
export function oracle(future: (id: number) => number[]): Forecaster {
  let calls = 0;
  return { kind: "lstm", forecast: ({ horizon }) => future(calls++).slice(0, horizon) };
}

export const settings = (over: Partial<AnalyzerSettings> = {}): AnalyzerSettings => parseAnalyzerSettings({ overloadFraction: 1, ...over });

export function host(id: string, over: Partial<PlacementHost> = {}): PlacementHost {
  return { id, status: "active", capacityEventsPerSec: 1000, capacityBytes: 10 * 1024 ** 3, sizeBytes: 0, ...over };
}

export function shardlet(id: string, hostId: string, history: number[], over: Partial<AnalyzerShardlet> = {}): AnalyzerShardlet {
  return {
    id,
    streamId: "st",
    hostId,
    load: history[history.length - 1] ?? 0,
    sizeBytes: 1024 * 1024,
    state: "active",
    capacityBytes: 10 * 1024 * 1024,
    history,
    ...over,
  };
}

export const flat = (v: number, n = 30) => new Array<number>(n).fill(v);
