import { describe, expect, it } from "vitest";
import { ForecastGate } from "../src/index.ts";

/** Predicts interval i+1 with `forecast(i)` and the rate of interval i, then sees interval i+1 arrive, for i in [from, to). */
function feed(gate: ForecastGate, rates: (i: number) => number, forecast: (i: number) => number, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    gate.realized("s", i, rates(i));
    gate.predicted("s", i + 1, forecast(i), rates(i));
  }
}

describe("ForecastGate", () => {
  it("uses a forecast that predicts a ramp better than the rate just observed, after enough scored predictions", () => {
    const gate = new ForecastGate({ minSamples: 6 });
    // Arrivals climb 10 a step: the observed rate is always 10 behind, the forecast exact.
    const ramp = (i: number) => 100 + 10 * i;
    feed(gate, ramp, (i) => ramp(i + 1), 0, 5);
    // Four predictions scored so far (the first realized call had nothing to score).
    expect(gate.errors("s")?.samples).toBe(4);
    expect(gate.skilled("s")).toBe(false);
    feed(gate, ramp, (i) => ramp(i + 1), 5, 8);
    expect(gate.skilled("s")).toBe(true);
    expect(gate.errors("s")).toMatchObject({ forecast: 0, recent: 10 });
  });

  it("does not use a forecast that predicts worse, and drops it again when it turns worse", () => {
    const gate = new ForecastGate({ halfLifeSamples: 5 });
    const flat = () => 200;
    // A forecast off by 30 against an observed rate that is exact: no skill.
    feed(gate, flat, () => 230, 0, 20);
    expect(gate.skilled("s")).toBe(false);
    // A level shift every step the forecast sees coming: skilled...
    const steps = (i: number) => (i % 2 === 0 ? 100 : 300);
    feed(gate, steps, (i) => steps(i + 1), 20, 40);
    expect(gate.skilled("s")).toBe(true);
    // ...until it turns worse than the observed rate: within a few half-lives it is left out again.
    feed(gate, steps, (i) => steps(i + 1) + 250, 40, 60);
    expect(gate.skilled("s")).toBe(false);
  });

  it("scores a prediction only against the interval it was made for", () => {
    const gate = new ForecastGate({ minSamples: 1 });
    gate.predicted("s", 10, 50, 100);
    // Interval 9 has not the prediction's number: nothing is scored and it still waits.
    gate.realized("s", 9, 50);
    expect(gate.pendingAt("s")).toBe(10);
    expect(gate.errors("s")).toBeUndefined();
    // Interval 11 passed without 10 being seen (another worker's run): the prediction is dropped unscored.
    gate.realized("s", 11, 50);
    expect(gate.pendingAt("s")).toBeUndefined();
    expect(gate.errors("s")).toBeUndefined();
    gate.predicted("s", 12, 50, 100);
    gate.realized("s", 12, 50);
    expect(gate.skilled("s")).toBe(true);
    gate.forget("s");
    expect(gate.skilled("s")).toBe(false);
    expect([...gate.keys()]).toEqual([]);
    expect(() => new ForecastGate({ halfLifeSamples: 0 })).toThrow(RangeError);
  });
});
