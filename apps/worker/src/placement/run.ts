import {
  archiveReward,
  decidePlacement,
  parsePlacementSettings,
  PLACEMENT_SETTINGS_KEY,
  type PlacementSettings,
  type ShardletPlacementState,
} from "@shardcast/core";
import { getDurableCheckpoints, getSettings, listConsumerGroups, listShardlets, listStreams, recordOperation, telemetryTotals, type ControlDb, type HostPool, type ShardletInfo } from "@shardcast/db";
import { readPlacementState, writePlacementState, type PlacementDecisionRecord } from "@shardcast/runtime";
import type { Logger } from "@shardcast/runtime/logger";
import type { Redis } from "ioredis";
import { checkAborted } from "../domain/abort.ts";
import { archiveRange, restoreRange } from "./archive.ts";

export interface PlacementDeps {
  db: ControlDb;
  hosts: HostPool;
  log: Logger;
  clock: () => number;
}

export interface PlacementRunResult {
  streams: number;
  shardlets: number;
  archived: number;
  restored: number;
  left: number;
  rewarded: number;
  skipped?: string;
}

/** Batches one decision archives per run; a larger backlog goes on at the next run. */
const MAX_CHUNKS_PER_DECISION = 40;
/** Rows counted when checking a shardlet against the archivable-bytes threshold. */
const ARCHIVABLE_CAP_ROWS = 50_000;
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

/** What the run measures of each live shardlet of a stream: reads, consumer positions, archive. */
async function measure(deps: PlacementDeps, streamId: string, shardlets: readonly ShardletInfo[], window: { from: number; to: number }, settings: PlacementSettings): Promise<ShardletPlacementState[]> {
  const totals = await telemetryTotals(deps.db, { streamId, from: window.from, to: window.to });
  const reads = new Map(totals.byShardlet.map((s) => [s.shardletId, s.reads]));
  const positions = new Map<string, number[]>();
  for (const g of await listConsumerGroups(deps.db, streamId)) {
    for (const [shardletId, c] of await getDurableCheckpoints(deps.db, g.id)) {
      const list = positions.get(shardletId) ?? [];
      list.push(c.position);
      positions.set(shardletId, list);
    }
  }
  const byHost = new Map<string, ShardletInfo[]>();
  for (const s of shardlets) byHost.set(s.hostId, [...(byHost.get(s.hostId) ?? []), s]);
  const out: ShardletPlacementState[] = [];
  const storedBefore = deps.clock() - settings.archiveAfterSec * 1000;
  for (const [hostId, list] of byHost) {
    let driver;
    try {
      driver = await deps.hosts.get(hostId);
    } catch (err) {
      deps.log.warn("placement: host unreachable; its shardlets wait for the next run", { hostId, err });
      continue;
    }
    // Batches a stopped restore or a moved range left without rows are dropped here.
    await driver.sweepArchive(streamId);
    const archived = await driver.archivedInRanges(streamId, list);
    const cutSeq = await driver.archiveCutSeq(streamId, storedBefore);
    for (const [i, s] of list.entries()) {
      const a = archived[i]!;
      const pos = positions.get(s.id) ?? [];
      const archiveUpTo = Math.min(cutSeq, ...pos);
      out.push({
        shardletId: s.id,
        reads: reads.get(s.id) ?? 0,
        groups: pos.length,
        lowestPosition: pos.length > 0 ? Math.min(...pos) : null,
        archivableBytes: await driver.archivableBytes({ streamId, lo: s.lo, hi: s.hi, afterSeq: a.maxSeq ?? 0, upToSeq: archiveUpTo, capRows: ARCHIVABLE_CAP_ROWS }),
        archiveUpTo,
        archivedEvents: a.events,
        archivedBytes: a.bytes,
        archivedMaxSeq: a.maxSeq,
      });
    }
  }
  return out;
}

/**
 * One run of adaptive placement for cold data: measures the reward of the previous run's archive
 * decisions (bytes saved, nothing when readers came back for them), restores archives that readers
 * need, and lets the bandit choose archive or leave for every shardlet with enough old payloads.
 * Archive and restore decisions go to the operations log; the latest decisions, the pending ones
 * and the bandit's arm values are kept for the console.
 */
export async function runPlacement(
  deps: PlacementDeps,
  ctx: { redis: Redis; prefix: string; signal?: AbortSignal; trigger?: "schedule" | "manual"; onProgress?: (fraction: number) => Promise<void> | void },
): Promise<PlacementRunResult> {
  const settings = await readSettings(deps);
  const result: PlacementRunResult = { streams: 0, shardlets: 0, archived: 0, restored: 0, left: 0, rewarded: 0 };
  if (!settings.enabled && ctx.trigger !== "manual") return { ...result, skipped: "placement is turned off" };
  const state = await readPlacementState(ctx.redis, ctx.prefix, settings.exploration);
  const now = deps.clock();
  const window = { from: state.lastRunAt ?? now - FIRST_WINDOW_MS, to: now };
  const streams = await listStreams(deps.db);
  const pendingBy = new Map(state.pending.map((p) => [p.shardletId, p]));
  state.pending = [];
  const stillPending = new Set<string>();
  const live = new Set<string>();
  for (const [i, stream] of streams.entries()) {
    checkAborted(ctx.signal);
    const shardlets = (await listShardlets(deps.db, { streamId: stream.id })).filter((s) => s.state === "active");
    for (const s of shardlets) live.add(s.id);
    const states = await measure(deps, stream.id, shardlets, window, settings);
    result.streams++;
    result.shardlets += states.length;
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
    const decisions = decidePlacement(state.bandit, states, stillPending, settings);
    const info = new Map(shardlets.map((s) => [s.id, s]));
    const measured = new Map(states.map((s) => [s.shardletId, s]));
    const measuredOf = (id: string) => measured.get(id);
    for (const d of decisions) {
      checkAborted(ctx.signal);
      const s = info.get(d.shardletId)!;
      const record: PlacementDecisionRecord = { at: now, streamId: stream.id, shardletId: d.shardletId, arm: d.arm, context: d.context, reason: d.reason, reward: null };
      state.recent.unshift(record);
      if (d.arm === "leave") {
        result.left++;
        continue;
      }
      const driver = await deps.hosts.get(s.hostId);
      const range = { streamId: stream.id, lo: s.lo, hi: s.hi };
      const started = deps.clock();
      if (d.arm === "archive") {
        const r = await archiveRange(driver, range, {
          storedBefore: now - settings.archiveAfterSec * 1000,
          maxChunks: MAX_CHUNKS_PER_DECISION,
          afterSeq: measuredOf(d.shardletId)?.archivedMaxSeq ?? 0,
          upToSeq: measuredOf(d.shardletId)?.archiveUpTo ?? 0,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        result.archived++;
        const had = state.archived[d.shardletId] ?? { events: 0, bytes: 0 };
        // Payload bytes stand in for the rows' sizes until the next run measures them.
        if (r.events > 0) state.archived[d.shardletId] = { events: had.events + r.events, bytes: had.bytes + r.rawBytes };
        if (r.events > 0) {
          state.pending.push({ shardletId: d.shardletId, context: d.context, rawBytes: r.rawBytes, storedBytes: r.storedBytes, at: now });
          stillPending.add(d.shardletId);
        }
        record.reason += `; archived ${r.events} events, ${r.rawBytes} -> ${r.storedBytes} bytes${r.complete ? "" : " (more next run)"}`;
        await recordOperation(deps.db, {
          kind: "placement.archive",
          status: "succeeded",
          message: record.reason,
          streamId: stream.id,
          shardletId: d.shardletId,
          hostId: s.hostId,
          actor: ctx.trigger === "manual" ? "operator" : "placement",
          details: { context: d.context, events: r.events, batches: r.batches, rawBytes: r.rawBytes, storedBytes: r.storedBytes, complete: r.complete },
          durationMs: deps.clock() - started,
        });
      } else {
        const r = await restoreRange(driver, range, { maxRounds: MAX_CHUNKS_PER_DECISION, ...(ctx.signal ? { signal: ctx.signal } : {}) });
        result.restored++;
        if (r.complete) delete state.archived[d.shardletId];
        record.reason += `; restored ${r.events} events from ${r.batches} batches${r.complete ? "" : " (more next run)"}`;
        await recordOperation(deps.db, {
          kind: "placement.restore",
          status: "succeeded",
          message: record.reason,
          streamId: stream.id,
          shardletId: d.shardletId,
          hostId: s.hostId,
          details: { context: d.context, events: r.events, batches: r.batches, complete: r.complete },
          durationMs: deps.clock() - started,
        });
      }
    }
    await ctx.onProgress?.((i + 1) / streams.length);
  }
  // A decision whose shardlet is gone (split, merged) gets no reward: nothing can measure it. One
  // whose host did not answer waits for the next run.
  for (const p of pendingBy.values()) if (live.has(p.shardletId) && !stillPending.has(p.shardletId)) state.pending.push(p);
  for (const id of Object.keys(state.archived)) if (!live.has(id)) delete state.archived[id];
  state.lastRunAt = now;
  await writePlacementState(ctx.redis, ctx.prefix, state);
  return result;
}
