import { z } from "zod";
import { storableString } from "@shardcast/core";
import { MODEL_STATUSES, type ModelVersionInfo } from "@shardcast/db";

export const modelKindSchema = z.enum(["seasonal_naive", "weekly_naive", "weekly_median", "holt_winters", "double_seasonal", "ensemble", "selection", "lstm"]);
export const trainKindSchema = z.enum(["all", "holt_winters", "lstm", "selection"]);

export const modelVersionSchema = z.object({
  id: z.string(),
  kind: modelKindSchema,
  version: z.number(),
  status: z.enum(MODEL_STATUSES),
  /** 0..1 while training. */
  progress: z.number(),
  progressNote: z.string().nullable(),
  mae: z.number().nullable(),
  rmse: z.number().nullable(),
  /** Below 1 beats seasonal naive's in-sample error. */
  mase: z.number().nullable(),
  trigger: z.string(),
  actor: z.string().nullable(),
  error: z.string().nullable(),
  jobId: z.string().nullable(),
  /** telemetry | traces */
  source: z.string().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
  promotedAt: z.date().nullable(),
});
export type ModelVersionView = z.infer<typeof modelVersionSchema>;

export function modelVersionView(v: ModelVersionInfo): ModelVersionView {
  return {
    id: v.id,
    kind: v.kind,
    version: v.version,
    status: v.status,
    progress: v.progress,
    progressNote: v.progressNote,
    mae: v.mae,
    rmse: v.rmse,
    mase: v.mase,
    trigger: v.trigger,
    actor: v.actor,
    error: v.error,
    jobId: v.jobId,
    source: v.source,
    createdAt: v.createdAt,
    finishedAt: v.finishedAt,
    promotedAt: v.promotedAt,
  };
}

/** A reason for a promotion or rollback, kept in the operations log. */
export const reasonSchema = storableString.trim().min(3, "say why (at least 3 characters)").max(500, "reason is longer than 500 characters");
