import { createRng, isShardcastError, type ForecastInput } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { LstmForecaster, type LstmConfig, type TrainingSeries } from "../src/index.ts";
import { buildWindow, SEQ_BASE_FEATURES } from "../src/features.ts";

const PERIOD = 12;
const STEP_MS = 3_600_000;

// A tiny network: the tests check training, saving and loading, not forecasting skill.
const TINY: Partial<LstmConfig> = { lookback: 12, horizon: 12, period: PERIOD, units: 4, hidden: 4, batchSize: 32, seed: 7, learningRate: 0.01 };

function series(name: string, n: number, level: number, slope: number, seed: string): TrainingSeries {
  const rng = createRng(seed);
  const values = Array.from({ length: n }, (_, t) => level + slope * t + 0.3 * level * Math.sin((2 * Math.PI * t) / PERIOD) + 0.02 * level * rng.normal());
  return { name, values, startMs: Date.UTC(2026, 0, 5), stepMs: STEP_MS };
}

const corpus = [series("a", 120, 100, 0.5, "a"), series("b", 120, 10, 0.05, "b"), series("c", 96, 1000, -2, "c")];
const inputs: ForecastInput[] = corpus.map((s) => ({ history: s.values.slice(0, 100), horizon: 12, period: PERIOD, startMs: s.startMs!, stepMs: STEP_MS }));

describe("LSTM forecaster", () => {
  it("trains with per-epoch progress, saves, reloads and forecasts the same values", async () => {
    const model = await LstmForecaster.create(TINY, { backend: "wasm" });
    expect(model.backend).toBe("wasm");
    const seen: Array<{ epoch: number; loss: number }> = [];
    const r = await model.train(corpus, { epochs: 3, onProgress: (p) => void seen.push({ epoch: p.epoch, loss: p.loss }) });
    expect(seen.map((p) => p.epoch)).toEqual([1, 2, 3]);
    for (const p of seen) expect(Number.isFinite(p.loss)).toBe(true);
    expect(r.losses).toEqual(seen.map((p) => p.loss));
    // Every origin with a season behind it and a full horizon ahead.
    expect(r.windows).toBe(corpus.reduce((a, s) => a + (s.values.length - PERIOD - 12 + 1), 0));

    const before = await model.forecastMany(inputs);
    expect(before).toHaveLength(3);
    for (const f of before) {
      expect(f).toHaveLength(12);
      for (const v of f) expect(v).toBeGreaterThanOrEqual(0);
    }
    // Forecasts follow each series' own scale.
    expect(before[2]![0]!).toBeGreaterThan(4 * before[0]![0]!);
    expect(before[0]![0]!).toBeGreaterThan(4 * before[1]![0]!);

    const artifact = JSON.parse(JSON.stringify(await model.serialize())) as unknown;
    const reloaded = await LstmForecaster.load(artifact);
    expect(reloaded.config).toEqual(model.config);
    expect(await reloaded.forecastMany(inputs)).toEqual(before);
    model.dispose();
    reloaded.dispose();
  });

  it("gives the same weights for the same seed and data, and different ones for another seed", async () => {
    const run = async (seed: number) => {
      const m = await LstmForecaster.create({ ...TINY, seed });
      await m.train(corpus, { epochs: 2 });
      const f = await m.forecastMany(inputs);
      m.dispose();
      return f;
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it("learns: training lowers the error against what it was trained on", async () => {
    const m = await LstmForecaster.create(TINY);
    const r = await m.train(corpus, { epochs: 8 });
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]!);
    m.dispose();
  });

  it("keeps the best epoch on a validation tail it does not train on", async () => {
    const m = await LstmForecaster.create(TINY);
    const r = await m.train(corpus, { epochs: 4, validationSteps: 24 });
    expect(r.valLosses).toHaveLength(4);
    expect(r.validationWindows).toBe(3 * (24 - 12 + 1));
    expect(r.valLosses[r.bestEpoch - 1]).toBe(Math.min(...r.valLosses));
    // Fewer training windows: their targets end where the validation tail starts.
    expect(r.windows).toBe(corpus.reduce((a, s) => a + (s.values.length - 24 - PERIOD - 12 + 1), 0));
    m.dispose();
  });

  it("reports progress as epochs run of those expected over the search and the refit, never falling back", async () => {
    const m = await LstmForecaster.create(TINY);
    const seen: Array<{ phase: string; epoch: number; epochs: number; done: number; total: number }> = [];
    const r = await m.train(corpus, {
      epochs: 12,
      validationSteps: 24,
      refit: true,
      patience: 2,
      onProgress: ({ phase, epoch, epochs, done, total }) => void seen.push({ phase, epoch, epochs, done, total }),
    });
    const searched = r.valLosses.length;
    expect(seen.map((p) => p.phase)).toEqual([...Array<string>(searched).fill("fit"), ...Array<string>(r.bestEpoch).fill("refit")]);
    expect(seen.map((p) => p.done)).toEqual(Array.from({ length: searched + r.bestEpoch }, (_, i) => i + 1));
    // The refit's epochs count from 1 to its own length, the chosen epoch.
    expect(seen.filter((p) => p.phase === "refit").map((p) => `${p.epoch}/${p.epochs}`)).toEqual(Array.from({ length: r.bestEpoch }, (_, i) => `${i + 1}/${r.bestEpoch}`));
    const fractions = seen.map((p) => p.done / p.total);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]!);
    // Once the search ends the total is exact: no jump when the refit starts.
    expect(seen[searched - 1]!.total).toBe(searched + r.bestEpoch);
    expect(fractions.at(-1)).toBe(1);
    m.dispose();
  });

  it("without validation, progress is the epochs run of those asked for", async () => {
    const m = await LstmForecaster.create(TINY);
    const seen: Array<{ phase: string; done: number; total: number }> = [];
    await m.train(corpus, { epochs: 3, onProgress: ({ phase, done, total }) => void seen.push({ phase, done, total }) });
    expect(seen).toEqual([1, 2, 3].map((done) => ({ phase: "fit", done, total: 3 })));
    m.dispose();
  });

  it("with refit, trains afresh on every window for the chosen number of epochs; patience stops the search", async () => {
    const m = await LstmForecaster.create(TINY);
    const r = await m.train(corpus, { epochs: 12, validationSteps: 24, refit: true, patience: 2 });
    expect(r.refitted).toBe(true);
    const searched = r.valLosses.length;
    expect(r.valLosses[r.bestEpoch - 1]).toBe(Math.min(...r.valLosses));
    // Either every epoch ran or the search stopped two epochs after the best one.
    expect(searched === 12 || searched - r.bestEpoch === 2).toBe(true);
    expect(r.losses).toHaveLength(searched + r.bestEpoch);
    // The final fit uses the validation tail too.
    expect(r.windows).toBe(corpus.reduce((a, s) => a + (s.values.length - PERIOD - 12 + 1), 0));
    m.dispose();
  });

  it("forecasts past its horizon by rolling forward, and an untrained model forecasts the seasonal profile", async () => {
    const m = await LstmForecaster.create(TINY);
    const [long] = await m.forecastMany([{ ...inputs[0]!, horizon: 30 }]);
    expect(long).toHaveLength(30);
    // The output layer starts at zero: the forecast is the mean of the last seasons at each phase.
    const h = inputs[0]!.history;
    const expected = (k: number) => {
      let s = 0;
      let n = 0;
      for (let d = 1; d <= 7 && h.length - d * PERIOD + k >= 0; d++) {
        s += h[h.length - d * PERIOD + k]!;
        n++;
      }
      return s / n;
    };
    for (let k = 0; k < 12; k++) expect(long![k]).toBeCloseTo(expected(k), 2);
    expect(await m.forecastMany([])).toEqual([]);
    m.dispose();
  });

  it("rejects a malformed artifact and a bad config with bad_request", async () => {
    for (const bad of [null, { format: "other" }, { format: "shardcast-lstm/1", config: {} }]) {
      const err = await LstmForecaster.load(bad).catch((e: unknown) => e);
      expect(isShardcastError(err) && err.code).toBe("bad_request");
    }
    const err = await LstmForecaster.create({ units: 0 }).catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("bad_request");
    const tooShort = await LstmForecaster.create(TINY);
    const e2 = await tooShort.train([{ name: "short", values: [1, 2, 3] }], { epochs: 1 }).catch((e: unknown) => e);
    expect(isShardcastError(e2) && e2.message).toMatch(/long enough/);
    tooShort.dispose();
  });
});

describe("features", () => {
  it("never reads at or after the forecast origin", () => {
    const values = Array.from({ length: 200 }, (_, i) => 100 + i);
    const poisoned = [...values.slice(0, 150), ...new Array<number>(50).fill(1e9)];
    const cfg = { lookback: 24, horizon: 24, profileSeasons: 7, covariates: 0, scaling: "level" as const };
    const a = buildWindow(values, 150, cfg, 24, 0, STEP_MS, undefined);
    const b = buildWindow(poisoned, 150, cfg, 24, 0, STEP_MS, undefined);
    expect(b.seq).toEqual(a.seq);
    expect(b.ctx).toEqual(a.ctx);
    expect(b.base).toEqual(a.base);
    expect(a.seq.length).toBe(24 * SEQ_BASE_FEATURES);
  });
});
