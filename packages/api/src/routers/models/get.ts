import { z } from "zod";
import { getActiveModelVersion, getModelVersion, listModelVersions } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView } from "./shared.ts";
import { idString } from "../shared.ts";

export const getModelInput = z.object({
  /** A version id; omitted: the active version, else the newest trained one. */
  id: idString().optional(),
});

const previewSchema = z.object({
  holdout: z.number(),
  period: z.number(),
  stepMs: z.number(),
  series: z.array(
    z.object({
      name: z.string(),
      startMs: z.number().nullable(),
      history: z.array(z.number()),
      actual: z.array(z.number()),
      predicted: z.array(z.number()),
      baseline: z.array(z.number()),
      mase: z.number(),
      baselineMase: z.number(),
    }),
  ),
  scores: z.array(z.object({ name: z.string(), mase: z.number(), baselineMase: z.number(), mae: z.number() })),
});
export type ModelPreview = z.infer<typeof previewSchema>;

export const getModelOutput = z.object({
  version: modelVersionSchema.nullable(),
  /** Forecast vs actual on the held-out window (null when not trained). */
  evaluation: previewSchema.nullable(),
  /** Seasonal naive's MASE on the same window, and the promotion decision of its run. */
  baselineMase: z.number().nullable(),
  decision: z.string().nullable(),
  sourceNote: z.string().nullable(),
  /** Hyper-parameters: Holt-Winters options or the LSTM's shape, and training figures. */
  settings: z.record(z.string(), z.unknown()).nullable(),
  artifactBytes: z.number(),
});

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export const get = viewerProcedure
  .input(getModelInput)
  .output(getModelOutput)
  .query(async ({ ctx, input }) => {
    let id = input.id;
    if (!id) {
      const active = await getActiveModelVersion(ctx.db);
      id = active?.id ?? (await listModelVersions(ctx.db, { limit: 20 })).find((v) => v.mase !== null)?.id;
    }
    if (!id) return { version: null, evaluation: null, baselineMase: null, decision: null, sourceNote: null, settings: null, artifactBytes: 0 };
    const v = await getModelVersion(ctx.db, id);
    const params = record(v.params) ?? {};
    // Params are stored by the training job; an older or partial shape shows without the chart.
    const preview = previewSchema.safeParse(params.evaluation);
    const scores = record(params.scores);
    const training = record(params.training);
    const settings: Record<string, unknown> = {};
    if (params.options !== undefined) settings.options = params.options;
    if (params.config !== undefined) settings.config = params.config;
    if (params.corpus !== undefined) settings.corpus = params.corpus;
    if (params.tried !== undefined) settings.tried = params.tried;
    if (training) {
      // The per-epoch losses are long; the console shows the last one.
      const { losses, valLosses: _valLosses, ...rest } = training;
      const last: unknown = Array.isArray(losses) ? losses.at(-1) : null;
      settings.training = { ...rest, lastLoss: typeof last === "number" ? last : null };
    }
    return {
      version: modelVersionView(v),
      evaluation: preview.success ? preview.data : null,
      baselineMase: typeof scores?.baselineMase === "number" ? scores.baselineMase : null,
      decision: typeof params.decision === "string" ? params.decision : null,
      sourceNote: typeof params.sourceNote === "string" ? params.sourceNote : null,
      settings: Object.keys(settings).length > 0 ? settings : null,
      artifactBytes: v.artifactBytes,
    };
  });
