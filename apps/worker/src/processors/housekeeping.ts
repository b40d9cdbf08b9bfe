import { HOST_RESOURCE_RETENTION_MS, LOAD_HINT_RETENTION_MS } from "@shardcast/core";
import { deleteExpiredSessions, deleteHintsEndedBefore, deleteHostResourceSamplesBefore, deleteMetricsBefore, purgeCheckpointLog } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { retireExpiredHistory } from "../lifecycle/sealed.ts";

const DEFAULT_METRICS_RETENTION_MS = 24 * 3_600_000;
/** Consumer checkpoint and group history shown by the console. */
const CONSUMER_LOG_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * Keeps the control database bounded: accounting writes metric samples every few seconds and
 * every sign-in leaves a session row behind. Also retires sealed history whose retention passed.
 */
export async function runHousekeeping(deps: WorkerDeps): Promise<{ metrics: number; sessions: number; hostResources: number; hints: number; consumerLog: number; history: number }> {
  const before = deps.clock() - (deps.metricsRetentionMs ?? DEFAULT_METRICS_RETENTION_MS);
  const metrics = await deleteMetricsBefore(deps.db, before);
  const sessions = await deleteExpiredSessions(deps.db, deps.clock());
  const hostResources = await deleteHostResourceSamplesBefore(deps.db, deps.clock() - HOST_RESOURCE_RETENTION_MS);
  const hints = await deleteHintsEndedBefore(deps.db, deps.clock() - LOAD_HINT_RETENTION_MS);
  const consumerLog = await purgeCheckpointLog(deps.db, new Date(deps.clock() - CONSUMER_LOG_RETENTION_MS));
  const history = (await retireExpiredHistory(deps)).length;
  if (metrics + sessions + hostResources + hints + consumerLog > 0) deps.log.info("housekeeping", { metrics, sessions, hostResources, hints, consumerLog });
  return { metrics, sessions, hostResources, hints, consumerLog, history };
}
