import type { ForecastModelKind } from "@shardcast/core";
import { Prisma } from "../generated/prisma/client.ts";
import type { ModelStatus, ModelVersionInfo } from "./info.ts";
import { xactLock } from "../xact-lock.ts";

export const SUMMARY_SELECT = {
  id: true,
  kind: true,
  version: true,
  status: true,
  progress: true,
  progressNote: true,
  mae: true,
  rmse: true,
  mase: true,
  trigger: true,
  actor: true,
  error: true,
  params: true,
  createdAt: true,
  finishedAt: true,
  promotedAt: true,
} as const satisfies Prisma.ModelVersionSelect;

type SummaryRow = Prisma.ModelVersionGetPayload<{ select: typeof SUMMARY_SELECT }>;

function paramString(params: unknown, key: string): string | null {
  if (typeof params !== "object" || params === null || Array.isArray(params)) return null;
  const v = (params as Record<string, unknown>)[key];
  return typeof v === "string" ? v : null;
}

export function toInfo(r: SummaryRow): ModelVersionInfo {
  return {
    id: r.id,
    kind: r.kind as ForecastModelKind,
    version: r.version,
    status: r.status as ModelStatus,
    progress: r.progress,
    progressNote: r.progressNote,
    mae: r.mae,
    rmse: r.rmse,
    mase: r.mase,
    trigger: r.trigger,
    actor: r.actor,
    error: r.error,
    jobId: paramString(r.params, "jobId"),
    source: paramString(r.params, "source"),
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    promotedAt: r.promotedAt,
  };
}

export function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  if (value === undefined || value === null) return Prisma.DbNull;
  // Callers pass JSON-shaped values (numbers, strings, arrays and records of them).
  return value;
}

export type Tx = Prisma.TransactionClient;

export async function lockPromotion(tx: Tx): Promise<void> {
  await xactLock(tx, "model-promotion");
}
