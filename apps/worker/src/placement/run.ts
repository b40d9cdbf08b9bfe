import { archiveReward, decidePlacement, parsePlacementSettings, PLACEMENT_SETTINGS_KEY, readRateToPlan, type PlacementSettings } from "@shardcast/core";
import { getAnalyzerSettings, getSettings, latestReadForecasts, listShardlets, listStreams, telemetryTotals } from "@shardcast/db";
import { readPlacementState, writePlacementState, type PlacementDecisionRecord } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import { checkAborted } from "../domain/abort.ts";
import { act } from "./act.ts";
import type { PlacementDeps } from "./deps.ts";
import { measureStream } from "./measure.ts";
import { runPinning } from "./pin.ts";
import { planMoves, rewardReadMoves, startReadMove, type MoveContext, type ShardletReadRate } from "./move.ts";
import { runReplication, type MoveArm } from "./replicate.ts";
import type { ReplicationCandidate } from "@shardcast/core";
import type { ReadForecast, ShardletInfo } from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";

export type { PlacementDeps } from "./deps.ts";

export interface PlacementRunResult {
  streams: number;
  shardlets: number;
  archived: number;
  restored: number;
  left: number;
  rewarded: number;
  replicated: number;
  unreplicated: number;
  pinned: number;
  unpinned: number;
  moved: number;
  /** Shardlets planned on their read forecast (above their observed read rate) this run. */
  forecastRates: number;
  skipped?: string;
}

/** Read rates for the replicate arm are averaged over this trailing window. */
const REPLICA_RATE_WINDOW_MS = 120_000;

/** Telemetry window of the first run (later runs read since the previous one). */
const FIRST_WINDOW_MS = 60_000;

async function readSettings(deps: PlacementDeps): Promise<PlacementSettings> {
  try {
    return parsePlacementSettings((await getSettings(deps.db))[PLACEMENT_SETTINGS_KEY]);
  } catch (err) {
    deps.log.warn("placement settings unreadable; using the defaults", { err });
    return parsePlacementSettings(undefined);
  }
}

/**
 * One run of adaptive placement for cold data: measures the reward of the previous run's archive
 * decisions (bytes saved, nothing when readers came back for them), restores archives that readers
 * need, and lets the bandit choose archive or leave for every shardlet with enough old payloads;
 * then the replicate and move arms (`replicate.ts`, `move.ts`: they compete for hot shardlets) and
 * the cache-pin arm (`pin.ts`) take their turn.
 * Archive and restore decisions go to the operations log; the latest decisions, the pending ones
 * and the bandit's arm values are kept for the console.
 */
export async function runPlacement(
  deps: PlacementDeps,
  ctx: { redis: Redis; prefix: string; queue?: JobQueue; signal?: AbortSignal; trigger?: "schedule" | "manual"; onProgress?: (fraction: number) => Promise<void> | void },
): Promise<PlacementRunResult> {
  const settings = await readSettings(deps);
  const result: PlacementRunResult = { streams: 0, shardlets: 0, archived: 0, restored: 0, left: 0, rewarded: 0, replicated: 0, unreplicated: 0, pinned: 0, unpinned: 0, moved: 0, forecastRates: 0 };
  let bucketMs: number | null = null;
  const analyzerBucketMs = async () => (bucketMs ??= (await getAnalyzerSettings(deps.db)).bucketSec * 1000);
  if (!settings.enabled && ctx.trigger !== "manual") return { ...result, skipped: "placement is turned off" };
  const state = await readPlacementState(ctx.redis, ctx.prefix, settings.exploration);
  const now = deps.clock();
  const window = { from: state.lastRunAt ?? now - FIRST_WINDOW_MS, to: now };
  const streams = await listStreams(deps.db);
  const pendingBy = new Map(state.pending.map((p) => [p.shardletId, p]));
  state.pending = [];
  const stillPending = new Set<string>();
  const live = new Set<string>();
  const actContext = { deps, settings, now, actor: ctx.trigger === "manual" ? "operator" : "placement", ...(ctx.signal ? { signal: ctx.signal } : {}) };
  for (const [id, until] of Object.entries(state.backoff)) if (until <= now) delete state.backoff[id];
  const hot: Array<ReplicationCandidate & { shardlet: ShardletInfo }> = [];
  // Every live shardlet's read rate, measured or not: a host that did not answer is not cold.
  const readRates: ShardletReadRate[] = [];
  const routed: ShardletInfo[] = [];
  for (const [i, stream] of streams.entries()) {
    checkAborted(ctx.signal);
    const shardlets = (await listShardlets(deps.db, { streamId: stream.id })).filter((s) => s.state === "active");
    for (const s of shardlets) live.add(s.id);
    const states = await measureStream(deps, stream.id, shardlets, window, settings);
    result.streams++;
    result.shardlets += states.length;
    // Read rates over a trailing window that includes the current telemetry bucket, not since the
    // previous run: runs may come seconds apart (an operator's), and a rate from a window shorter
    // than a bucket would call a hot shardlet cold.
    const rates = await telemetryTotals(deps.db, { streamId: stream.id, from: now - REPLICA_RATE_WINDOW_MS, to: now + 1 });
    const readsBy = new Map(rates.byShardlet.map((r) => [r.shardletId, r.reads]));
    const forecasts =
      settings.readForecastLeadSec > 0 && shardlets.length > 0
        ? await latestReadForecasts(deps.db, { streamId: stream.id, shardletIds: shardlets.map((s) => s.id), fromMs: now, toMs: now + settings.readForecastLeadSec * 1000, bucketMs: await analyzerBucketMs() })
        : new Map<string, ReadForecast>();
    const planned = (id: string) => {
      const p = readRateToPlan((readsBy.get(id) ?? 0) / (REPLICA_RATE_WINDOW_MS / 1000), forecasts.get(id));
      if (p.forecast) result.forecastRates++;
      return p.rate;
    };
    const byId = new Map(shardlets.map((s) => [s.id, s]));
    routed.push(...shardlets);
    const plannedRate = new Map(shardlets.map((s) => [s.id, planned(s.id)]));
    for (const s of shardlets) readRates.push({ shardletId: s.id, streamId: s.streamId, hostId: s.hostId, readsPerSec: plannedRate.get(s.id)! });
    for (const s of states) hot.push({ shardletId: s.shardletId, readsPerSec: plannedRate.get(s.shardletId) ?? 0, groups: s.groups, shardlet: byId.get(s.shardletId)! });
    for (const s of states) {
      const p = pendingBy.get(s.shardletId);
      if (!p) continue;
      const reward = archiveReward(p, s);
      state.bandit.reward(p.context, "archive", reward);
      result.rewarded++;
      const rec = state.recent.find((d) => d.shardletId === p.shardletId && d.at === p.at && d.arm === "archive");
      if (rec) rec.reward = reward;
      pendingBy.delete(s.shardletId);
    }
    for (const s of states) {
      if (s.archivedEvents > 0) state.archived[s.shardletId] = { events: s.archivedEvents, bytes: s.archivedBytes };
      else delete state.archived[s.shardletId];
    }
    // A shardlet whose last archive or restore failed is left alone until its backoff ends.
    const decidable = states.filter((s) => (state.backoff[s.shardletId] ?? 0) <= now);
    const decisions = decidePlacement(state.bandit, decidable, stillPending, settings);
    const info = new Map(shardlets.map((s) => [s.id, s]));
    const measured = new Map(states.map((s) => [s.shardletId, s]));
    for (const d of decisions) {
      checkAborted(ctx.signal);
      const record: PlacementDecisionRecord = { at: now, streamId: stream.id, shardletId: d.shardletId, arm: d.arm, context: d.context, reason: d.reason, reward: null };
      state.recent.unshift(record);
      if (d.arm === "leave") {
        result.left++;
        continue;
      }
      const archived = await act({ ...actContext, state }, { ...d, arm: d.arm }, info.get(d.shardletId)!, measured.get(d.shardletId), record);
      if (d.arm === "archive") result.archived++;
      else result.restored++;
      if (archived > 0) stillPending.add(d.shardletId);
    }
    await ctx.onProgress?.((i + 1) / streams.length);
  }
  const moveContext: MoveContext = { state, settings, now, actor: actContext.actor, ...(ctx.queue ? { queue: ctx.queue } : {}) };
  result.rewarded += await rewardReadMoves(deps, moveContext, routed);
  const plan = await planMoves(deps, moveContext, readRates);
  const move: MoveArm | undefined = plan
    ? {
        targets: plan.targets,
        start: async (d, s, rec) => {
          try {
            return await startReadMove(deps, moveContext, plan, d, s, rec);
          } catch (err) {
            if (ctx.signal?.aborted) throw err;
            rec.reason += `; failed: ${err instanceof Error ? err.message : String(err)}`;
            deps.log.warn("placement: read move failed", { shardletId: s.id, err });
            return false;
          }
        },
      }
    : undefined;
  const replication = await runReplication(
    { db: deps.db, hosts: deps.hosts, log: deps.log, clock: deps.clock, ...(deps.announce ? { announce: deps.announce } : {}) },
    { redis: ctx.redis, prefix: ctx.prefix, state, settings, now, actor: actContext.actor, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    hot,
    move,
  );
  result.replicated = replication.replicated;
  result.unreplicated = replication.dropped;
  result.moved = replication.moved;
  const pinning = await runPinning(
    deps,
    { redis: ctx.redis, prefix: ctx.prefix, state, settings, now, actor: actContext.actor, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    hot.map((h) => ({ shardletId: h.shardletId, streamId: h.shardlet.streamId, groups: h.groups })),
    live,
  );
  result.pinned = pinning.pinned;
  result.unpinned = pinning.unpinned;
  // A decision whose shardlet is gone (split, merged) gets no reward: nothing can measure it. One
  // whose host did not answer waits for the next run.
  for (const p of pendingBy.values()) if (live.has(p.shardletId) && !stillPending.has(p.shardletId)) state.pending.push(p);
  for (const id of Object.keys(state.archived)) if (!live.has(id)) delete state.archived[id];
  for (const id of Object.keys(state.backoff)) if (!live.has(id)) delete state.backoff[id];
  for (const id of Object.keys(state.moveCooldown)) if (!live.has(id)) delete state.moveCooldown[id];
  state.lastRunAt = now;
  await writePlacementState(ctx.redis, ctx.prefix, state);
  return result;
}
