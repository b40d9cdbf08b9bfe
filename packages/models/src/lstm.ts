import { createRng, ShardcastError, type BatchForecaster, type ForecastInput } from "@shardcast/core";
import { initBackend, tf, type TfBackend } from "./backend.ts";
import { buildWindow, windowForInput, type Window } from "./features.ts";
import { fromBase64, LSTM_ARTIFACT_FORMAT, parseLstmArtifact, toBase64, type LstmArtifact } from "./lstm-artifact.ts";
import { checkConfig, checkCovariates, DEFAULT_LSTM_CONFIG, featureConfig, withColumns, type LstmConfig } from "./lstm-config.ts";
import { buildModel, compile, inputTensors, pack } from "./lstm-network.ts";
import type { TrainingSeries, TrainOptions, TrainResult } from "./lstm-training-types.ts";

/**
 * A sequence-to-horizon LSTM trained across many series at once. Each window is scaled by its
 * own recent level, so the model learns shapes (daily and weekly rhythm, recent drift) shared by
 * series of very different sizes. See features.ts for the inputs.
 */
export class LstmForecaster implements BatchForecaster {
  readonly kind = "lstm" as const;
  readonly config: LstmConfig;
  readonly backend: TfBackend;
  private model: tf.LayersModel;

  private constructor(config: LstmConfig, model: tf.LayersModel, backend: TfBackend) {
    this.config = config;
    this.model = model;
    this.backend = backend;
  }

  /** An untrained model (it forecasts the seasonal profile baseline until trained). */
  static async create(config: Partial<LstmConfig> = {}, opts: { backend?: TfBackend } = {}): Promise<LstmForecaster> {
    const c = withColumns({ ...DEFAULT_LSTM_CONFIG, ...config }, config);
    checkConfig(c);
    const backend = await initBackend(opts.backend);
    const model = buildModel(c);
    compile(model, c);
    return new LstmForecaster(c, model, backend);
  }

  /** Restores a model from `serialize()` output; its forecasts equal the saved model's. */
  static async load(raw: unknown, opts: { backend?: TfBackend } = {}): Promise<LstmForecaster> {
    const a = parseLstmArtifact(raw);
    const backend = await initBackend(opts.backend);
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: a.topology as tf.io.ModelArtifacts["modelTopology"],
          weightSpecs: a.weightSpecs as tf.io.WeightsManifestEntry[],
          weightData: fromBase64(a.weights),
        }),
      );
    } catch (err) {
      throw new ShardcastError("bad_request", `LSTM artifact does not load: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    }
    compile(model, a.config);
    return new LstmForecaster(a.config, model, backend);
  }

  /**
   * Windows of every series whose origin lies in [from(s), to(s)] and whose horizon fits: every
   * origin with a season behind it, thinned evenly to at most `maxWindows`.
   */
  private windows(
    series: readonly TrainingSeries[],
    maxWindows: number,
    range: (s: TrainingSeries) => { from: number; to: number },
  ): { inputs: Window[]; targets: Float32Array } {
    const c = this.config;
    const fc = featureConfig(c);
    const origins: Array<{ s: TrainingSeries; origin: number }> = [];
    for (const s of series) {
      const period = s.period ?? c.period;
      const r = range(s);
      for (let origin = Math.max(period, 2, r.from); origin <= r.to && origin + c.horizon <= s.values.length; origin++) origins.push({ s, origin });
    }
    const stride = Math.max(1, Math.ceil(origins.length / maxWindows));
    const picked = origins.filter((_, i) => i % stride === 0);
    const inputs: Window[] = [];
    const targets = new Float32Array(picked.length * c.horizon);
    picked.forEach(({ s, origin }, i) => {
      const w = buildWindow(s.values, origin, fc, s.period ?? c.period, s.startMs, s.stepMs, s.covariates);
      inputs.push(w);
      for (let h = 0; h < c.horizon; h++) targets[i * c.horizon + h] = (s.values[origin + h]! - w.offset) / w.scale;
    });
    return { inputs, targets };
  }

  async train(series: readonly TrainingSeries[], opts: TrainOptions): Promise<TrainResult> {
    const started = performance.now();
    const c = this.config;
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new ShardcastError("bad_request", `epochs must be a positive integer, got ${opts.epochs}`);
    const v = Math.max(0, Math.floor(opts.validationSteps ?? 0));
    const maxWindows = opts.maxWindows ?? 6_000;
    for (const s of series) checkCovariates(c, `series ${s.name}`, s.covariates, s.values.length);
    // Training targets end where the validation tail starts; validation origins lie in the tail.
    const train = this.windows(series, maxWindows, (s) => ({ from: 0, to: s.values.length - v - c.horizon }));
    if (train.inputs.length === 0) {
      throw new ShardcastError("bad_request", `no series is long enough to train on: each needs at least ${Math.max(c.period, 2) + c.horizon + v} points`);
    }
    const val = v > 0 ? this.windows(series, 2_000, (s) => ({ from: s.values.length - v, to: s.values.length - c.horizon })) : null;
    const valBatch = val && val.inputs.length > 0 ? pack(val.inputs, c, c.horizon) : null;
    const valXs = valBatch ? inputTensors(valBatch, c) : [];
    const valY = valBatch && val ? tf.tensor3d(val.targets, [valBatch.count, c.horizon, 1]) : null;
    const losses: number[] = [];
    const valLosses: number[] = [];
    const refit = opts.refit === true && valY !== null;
    // A holder, not a `let`: it is assigned inside the epoch callback.
    const kept: { best: { epoch: number; loss: number; weights: tf.Tensor[] } | null; searched: number } = { best: null, searched: 0 };
    try {
      await this.runEpochs(train, opts.epochs, opts.signal, async (epoch, loss) => {
        losses.push(loss);
        let valLoss: number | undefined;
        if (valY) {
          valLoss = await this.meanAbsError(valXs, valY);
          valLosses.push(valLoss);
          if (!kept.best || valLoss < kept.best.loss) {
            if (kept.best) tf.dispose(kept.best.weights);
            kept.best = { epoch, loss: valLoss, weights: this.model.getWeights().map((w) => w.clone()) };
          }
        }
        const stop = opts.patience !== undefined && kept.best !== null && epoch - kept.best.epoch >= opts.patience;
        kept.searched = epoch;
        // While searching, the refit's length is not known: count it as long as the search could
        // be. A stop ends the search here and the refit runs to the best epoch, so the expected
        // total is revised down at once rather than the fraction jumping at the refit's start.
        const expected = stop || epoch === opts.epochs ? epoch + (refit ? (kept.best?.epoch ?? opts.epochs) : 0) : refit ? 2 * opts.epochs : opts.epochs;
        await opts.onProgress?.({ phase: "fit", epoch, epochs: opts.epochs, done: epoch, total: expected, loss, ...(valLoss !== undefined ? { valLoss } : {}) });
        return stop;
      });
      if (kept.best) this.model.setWeights(kept.best.weights);
    } finally {
      tf.dispose([...valXs, ...(valY ? [valY] : []), ...(kept.best ? kept.best.weights : [])]);
    }
    const bestEpoch = kept.best?.epoch ?? opts.epochs;
    let windows = train.inputs.length;
    if (refit) {
      // The epoch count is chosen; train afresh (same seed) on everything, the tail included.
      const all = this.windows(series, maxWindows, (s) => ({ from: 0, to: s.values.length - c.horizon }));
      this.model.dispose();
      this.model = buildModel(c);
      compile(this.model, c);
      windows = all.inputs.length;
      await this.runEpochs(all, bestEpoch, opts.signal, async (epoch, loss) => {
        losses.push(loss);
        await opts.onProgress?.({ phase: "refit", epoch, epochs: bestEpoch, done: kept.searched + epoch, total: kept.searched + bestEpoch, loss });
      });
    }
    return { windows, validationWindows: valBatch?.count ?? 0, losses, valLosses, bestEpoch, refitted: refit, durationMs: performance.now() - started };
  }

  /** `epochs` passes over the windows in a seeded order per epoch (fit's own shuffle uses Math.random). */
  private async runEpochs(
    data: { inputs: Window[]; targets: Float32Array },
    epochs: number,
    signal: AbortSignal | undefined,
    afterEpoch: (epoch: number, loss: number) => Promise<boolean | void>,
  ): Promise<void> {
    const c = this.config;
    const batch = pack(data.inputs, c, c.horizon);
    const xs = inputTensors(batch, c);
    const y = tf.tensor3d(data.targets, [batch.count, c.horizon, 1]);
    const rng = createRng(c.seed);
    try {
      for (let epoch = 1; epoch <= epochs; epoch++) {
        if (signal?.aborted) throw new ShardcastError("unavailable", "training was cancelled");
        const order = Array.from({ length: batch.count }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const idx = tf.tensor1d(order, "int32");
        const shuffled = xs.map((t) => tf.gather(t, idx));
        const ys = tf.gather(y, idx);
        try {
          const h = await this.model.fit(shuffled, ys, { epochs: 1, batchSize: c.batchSize, shuffle: false, verbose: 0 });
          const stop = await afterEpoch(epoch, Number(h.history.loss?.[0] ?? NaN));
          if (stop === true) break;
        } finally {
          tf.dispose([idx, ys, ...shuffled]);
        }
      }
    } finally {
      tf.dispose([...xs, y]);
    }
  }

  private async meanAbsError(xs: tf.Tensor[], y: tf.Tensor): Promise<number> {
    const pred = this.model.predict(xs) as tf.Tensor;
    const err = tf.tidy(() => tf.mean(tf.abs(tf.sub(pred, y))));
    try {
      return (await err.data())[0]!;
    } finally {
      tf.dispose([pred, err]);
    }
  }

  /** One pass of `config.horizon` steps for every input. */
  private async pass(inputs: readonly ForecastInput[]): Promise<number[][]> {
    const c = this.config;
    const fc = featureConfig(c);
    const windows = inputs.map((input) => windowForInput(input, fc));
    const xs = inputTensors(pack(windows, c, c.horizon), c);
    const out = this.model.predict(xs) as tf.Tensor;
    try {
      const flat = await out.data();
      return windows.map((w, i) => {
        const row = new Array<number>(c.horizon);
        for (let h = 0; h < c.horizon; h++) {
          const v = flat[i * c.horizon + h]! * w.scale + w.offset;
          row[h] = v > 0 && Number.isFinite(v) ? v : 0;
        }
        return row;
      });
    } finally {
      tf.dispose([...xs, out]);
    }
  }

  async forecastMany(inputs: readonly ForecastInput[]): Promise<number[][]> {
    if (inputs.length === 0) return [];
    for (const i of inputs) {
      if (!Number.isInteger(i.horizon) || i.horizon < 0) throw new ShardcastError("bad_request", `forecast horizon must be a non-negative integer, got ${i.horizon}`);
      if (!Number.isInteger(i.period) || i.period < 1) throw new ShardcastError("bad_request", `forecast period must be a positive integer, got ${i.period}`);
      checkCovariates(this.config, "a forecast request", i.covariates, i.history.length + i.horizon);
    }
    const results = inputs.map(() => [] as number[]);
    // Horizons past one pass roll forward: each pass appends its forecast to the history.
    let pending = inputs.map((input, i) => ({ i, input }));
    while (pending.length > 0) {
      const rows = await this.pass(pending.map((p) => p.input));
      const next: typeof pending = [];
      pending.forEach((p, k) => {
        const need = p.input.horizon - results[p.i]!.length;
        const got = rows[k]!.slice(0, need);
        results[p.i]!.push(...got);
        if (results[p.i]!.length < p.input.horizon) {
          next.push({ i: p.i, input: { ...p.input, history: [...p.input.history, ...got], horizon: p.input.horizon } });
        }
      });
      pending = next;
    }
    return results;
  }

  async serialize(): Promise<LstmArtifact> {
    let saved: tf.io.ModelArtifacts | null = null;
    await this.model.save(
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } });
      }),
    );
    const a = saved as tf.io.ModelArtifacts | null;
    if (!a?.modelTopology || !a.weightSpecs || !a.weightData) throw new ShardcastError("internal", "TensorFlow.js returned no weights to serialize");
    const data = Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData;
    return {
      format: LSTM_ARTIFACT_FORMAT,
      config: { ...this.config, covariateColumns: this.config.covariateColumns.map((k) => ({ ...k })) },
      topology: a.modelTopology,
      weightSpecs: a.weightSpecs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype })),
      weights: toBase64(data),
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}
