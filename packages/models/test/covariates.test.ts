import { createRng, isShardcastError, type CovariateColumn, type ForecastInput } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { buildWindow, CTX_BASE_FEATURES, SEQ_BASE_FEATURES } from "../src/features.ts";
import { LstmForecaster, type LstmConfig, type TrainingSeries } from "../src/index.ts";

const PERIOD = 12;
const STEP_MS = 3_600_000;
const START = Date.UTC(2026, 0, 5);
const HINT: CovariateColumn = { name: "hint_rate", known: true, unit: "load" };
const TINY: Partial<LstmConfig> = { lookback: 12, horizon: 12, period: PERIOD, units: 8, hidden: 8, batchSize: 32, seed: 7, learningRate: 0.01 };

/**
 * A daily rhythm with bursts at random times: each burst is announced by a hint (the known-ahead
 * rate), and the load follows the hint while it lasts. Nothing in the history foretells a burst.
 */
function burstySeries(name: string, n: number, level: number, seed: string, forcedBurstAt?: number): TrainingSeries & { burst: boolean[] } {
  const rng = createRng(seed);
  const values: number[] = [];
  const covariates: number[][] = [];
  const burst: boolean[] = [];
  let left = 0;
  for (let t = 0; t < n; t++) {
    if (left === 0 && (t === forcedBurstAt || (forcedBurstAt === undefined && rng.next() < 0.06))) left = 3;
    const base = level * (1 + 0.3 * Math.sin((2 * Math.PI * t) / PERIOD));
    const hinted = left > 0 ? 3 * level : 0;
    values.push((left > 0 ? hinted : base) + 0.02 * level * rng.normal());
    covariates.push([hinted]);
    burst.push(left > 0);
    if (left > 0) left--;
  }
  return { name, values, startMs: START, stepMs: STEP_MS, covariates, burst };
}

const corpus = [burstySeries("a", 160, 100, "a"), burstySeries("b", 160, 10, "b"), burstySeries("c", 160, 40, "c")];

/** Held-out requests: a history without a burst at its end, and a burst announced inside the horizon. */
const held = [burstySeries("x", 112, 60, "x", 104), burstySeries("y", 112, 20, "y", 101), burstySeries("z", 112, 150, "z", 106)];
const requests: ForecastInput[] = held.map((s) => ({ history: s.values.slice(0, 100), horizon: 12, period: PERIOD, startMs: START, stepMs: STEP_MS, covariates: s.covariates! }));

/** Mean absolute error over the burst steps of the horizons, relative to each series' level. */
function burstError(forecasts: number[][]): number {
  let sum = 0;
  let n = 0;
  held.forEach((s, i) => {
    const level = s.values.slice(0, 100).reduce((a, v) => a + v, 0) / 100;
    for (let h = 0; h < 12; h++) {
      if (!s.burst[100 + h]) continue;
      sum += Math.abs(s.values[100 + h]! - forecasts[i]![h]!) / level;
      n++;
    }
  });
  return sum / n;
}

describe("LSTM with covariates", () => {
  it("forecasts bursts a known-ahead hint announces far better than the same network without the hint", async () => {
    for (const s of held) expect(s.burst.slice(100).filter(Boolean).length).toBe(3);
    const withHint = await LstmForecaster.create({ ...TINY, covariateColumns: [HINT] }, { backend: "wasm" });
    const without = await LstmForecaster.create(TINY, { backend: "wasm" });
    expect(withHint.config.covariates).toBe(1);
    await withHint.train(corpus, { epochs: 6 });
    await without.train(corpus, { epochs: 6 });
    const errWith = burstError(await withHint.forecastMany(requests));
    const errWithout = burstError(await without.forecastMany(requests));
    // Without the hint the bursts are unforeseeable: the forecast stays near the daily rhythm,
    // about two levels under the burst. With it the forecast rises to meet them.
    expect(errWithout).toBeGreaterThan(1.2);
    expect(errWith).toBeLessThan(0.25 * errWithout);
    withHint.dispose();
    without.dispose();
  });

  it("saves its covariate columns, reloads to the same forecasts, and refuses requests without them", async () => {
    const m = await LstmForecaster.create({ ...TINY, covariateColumns: [HINT] });
    await m.train(corpus, { epochs: 2 });
    const artifact = JSON.parse(JSON.stringify(await m.serialize())) as { config: LstmConfig };
    expect(artifact.config.covariateColumns).toEqual([HINT]);
    const reloaded = await LstmForecaster.load(artifact);
    expect(await reloaded.forecastMany(requests)).toEqual(await m.forecastMany(requests));

    const bare = requests.map(({ covariates: _c, ...r }) => r);
    const err = await reloaded.forecastMany(bare).catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("bad_request");
    expect((err as Error).message).toMatch(/no covariates.*hint_rate/);
    const wide = requests.map((r) => ({ ...r, covariates: r.covariates!.map((row) => [...row, 0]) }));
    const e2 = await reloaded.forecastMany(wide).catch((e: unknown) => e);
    expect(isShardcastError(e2) && e2.message).toMatch(/2 covariate columns/);
    const short = requests.map((r) => ({ ...r, covariates: r.covariates!.slice(0, 100) }));
    const e3 = await reloaded.forecastMany(short).catch((e: unknown) => e);
    expect(isShardcastError(e3) && e3.message).toMatch(/for 100 steps; it needs 112/);
    const e4 = await m.train([{ name: "plain", values: corpus[0]!.values }], { epochs: 1 }).catch((e: unknown) => e);
    expect(isShardcastError(e4) && e4.message).toMatch(/series plain has no covariates/);
    m.dispose();
    reloaded.dispose();
  });

  it("a model without covariates ignores any it is given; one saved before columns were named still loads", async () => {
    const m = await LstmForecaster.create(TINY);
    await m.train(corpus.map(({ covariates: _c, ...s }) => s), { epochs: 2 });
    const bare = requests.map(({ covariates: _c, ...r }) => r);
    const plain = await m.forecastMany(bare);
    expect(await m.forecastMany(requests)).toEqual(plain);
    const artifact = JSON.parse(JSON.stringify(await m.serialize())) as { config: Record<string, unknown> };
    delete artifact.config.covariateColumns;
    const old = await LstmForecaster.load(artifact);
    expect(old.config.covariateColumns).toEqual([]);
    expect(await old.forecastMany(bare)).toEqual(plain);
    m.dispose();
    old.dispose();
  });

  it("rejects covariate columns that are malformed or disagree with the column count", async () => {
    for (const bad of [
      { covariateColumns: [{ name: "x", known: true, unit: "volts" }] },
      { covariateColumns: [HINT, HINT] },
      { covariates: 2, covariateColumns: [HINT] },
    ]) {
      const err = await LstmForecaster.create({ ...TINY, ...(bad as Partial<LstmConfig>) }).catch((e: unknown) => e);
      expect(isShardcastError(err) && err.code).toBe("bad_request");
    }
  });
});

describe("covariate features", () => {
  const values = Array.from({ length: 60 }, (_, i) => 100 + 10 * Math.sin(i));
  const rows = values.map((_, i) => [i, 10 * i]);
  const poisoned = rows.map((r, i) => (i >= 40 ? [1e6, 1e6] : r));
  const cfg = {
    lookback: 12,
    horizon: 12,
    profileSeasons: 3,
    covariates: 2,
    scaling: "level" as const,
    columns: [
      { known: false, unit: "count" as const },
      { known: true, unit: "load" as const },
    ],
  };

  it("carries an observed column's last value past the origin and reads a known one as given, scaled by its unit", () => {
    const a = buildWindow(values, 40, cfg, PERIOD, START, STEP_MS, rows);
    const b = buildWindow(values, 40, cfg, PERIOD, START, STEP_MS, poisoned);
    expect(b.seq).toEqual(a.seq);
    const ctxF = CTX_BASE_FEATURES + 2;
    for (let h = 0; h < 12; h++) {
      // Observed: the count at step 39, as log1p, at every horizon step.
      expect(a.ctx[h * ctxF + CTX_BASE_FEATURES]).toBeCloseTo(Math.log1p(39), 5);
      expect(b.ctx[h * ctxF + CTX_BASE_FEATURES]).toBeCloseTo(Math.log1p(39), 5);
      // Known: the hinted load at the step itself, on the window's scale.
      expect(a.ctx[h * ctxF + CTX_BASE_FEATURES + 1]).toBeCloseTo((10 * (40 + h)) / a.scale, 4);
    }
    const seqF = SEQ_BASE_FEATURES + 2;
    expect(a.seq[11 * seqF + SEQ_BASE_FEATURES + 1]).toBeCloseTo(390 / a.scale, 4);
  });

  it("uses core's calendar: the middle of each step", () => {
    const plain = { ...cfg, covariates: 0, columns: [] };
    const w = buildWindow(values, 40, plain, PERIOD, START, STEP_MS, undefined);
    // Step 40 starts at 16:00 on a Tuesday; its middle is 16:30.
    const hour = (2 * Math.PI * 16.5) / 24;
    expect(w.ctx[4]).toBeCloseTo(Math.sin(hour), 5);
    expect(w.ctx[5]).toBeCloseTo(Math.cos(hour), 5);
    expect(w.ctx[6]).toBeCloseTo(Math.sin((2 * Math.PI * 2) / 7), 5);
  });
});
