import { ForecastGate } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { gatedForecast } from "../src/consumers/forecast-use.ts";

/** Runs of the job over a series that grows by one bucket a run: `rate(b)` arrived in bucket b; returns each run's rate. */
function runs(gate: ForecastGate, rate: (b: number) => number, forecast: (nextBucket: number) => number, n: number, window = 6): number[] {
  const out: number[] = [];
  for (let run = 0; run < n; run++) {
    const last = 100 + run;
    const firstBucket = last - window + 1;
    const history = Array.from({ length: window }, (_, i) => rate(firstBucket + i));
    out.push(gatedForecast(gate, "g\ts", { history, firstBucket, forecast: forecast(last + 1) }));
  }
  return out;
}

describe("gatedForecast", () => {
  it("takes the forecast once it has predicted the next bucket better than the last one did", () => {
    const ramp = (b: number) => 10 * b;
    const out = runs(new ForecastGate(), ramp, (next) => ramp(next), 10);
    // Each run scores the previous run's prediction: until six are scored, the last complete
    // bucket's rate (always one step behind the ramp); then the forecast of the next bucket.
    expect(out.slice(0, 6)).toEqual(Array.from({ length: 6 }, (_, run) => ramp(100 + run)));
    expect(out.slice(6)).toEqual([107, 108, 109, 110].map((b) => ramp(b)));
  });

  it("keeps the observed rate when the forecast misses by more", () => {
    const flat = () => 500;
    const out = runs(new ForecastGate(), flat, () => 800, 20);
    expect(new Set(out)).toEqual(new Set([500]));
  });

  it("uses the forecast as it is without a series", () => {
    expect(gatedForecast(new ForecastGate(), "g\ts", { history: [], firstBucket: 0, forecast: 42 })).toBe(42);
  });
});
