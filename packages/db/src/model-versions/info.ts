import type { ForecastModelKind } from "@shardcast/core";

/** The shapes callers see of a model version; below both the row mapping and the queries. */

export const MODEL_STATUSES = ["training", "candidate", "active", "retired", "failed"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export type TrainableModelKind = Exclude<ForecastModelKind, "seasonal_naive">;

export interface ModelVersionInfo {
  id: string;
  kind: ForecastModelKind;
  version: number;
  status: ModelStatus;
  /** 0..1 while training. */
  progress: number;
  progressNote: string | null;
  mae: number | null;
  rmse: number | null;
  mase: number | null;
  trigger: string;
  actor: string | null;
  error: string | null;
  /** The BullMQ job that trains (or trained) this version, from params. */
  jobId: string | null;
  /** Where the training series came from ("telemetry" or "traces"), from params. */
  source: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  promotedAt: Date | null;
}

export interface ModelVersionDetail extends ModelVersionInfo {
  /** Training description, hyper-parameters, held-out evaluation (forecast vs actual). */
  params: unknown;
  /** Size of the stored artifact in bytes of JSON (weights for the LSTM). */
  artifactBytes: number;
}
