import { deleteExpiredSessions, deleteMetricsBefore } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";

const DEFAULT_METRICS_RETENTION_MS = 24 * 3_600_000;

/**
 * Keeps the control database bounded: accounting writes metric samples every few seconds and
 * every sign-in leaves a session row behind.
 */
export async function runHousekeeping(deps: WorkerDeps): Promise<{ metrics: number; sessions: number }> {
  const before = deps.clock() - (deps.metricsRetentionMs ?? DEFAULT_METRICS_RETENTION_MS);
  const metrics = await deleteMetricsBefore(deps.db, before);
  const sessions = await deleteExpiredSessions(deps.db, deps.clock());
  if (metrics + sessions > 0) deps.log.info("housekeeping", { metrics, sessions });
  return { metrics, sessions };
}
