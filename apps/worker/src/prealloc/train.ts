import { evaluateContentModel, keyHash, preallocModelConfig, RoutingTable, type HistoryEvent, type PredictionQuality } from "@shardcast/core";
import { getPreallocSettings, listReachableHosts, listStreamNames, loadRoutes, recordPreallocTraining, type PreallocTrainingStream } from "@shardcast/db";
import { installContentModel } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";

/** Stored events read per host and stream, newest first (the latest history is what matters). */
export const DEFAULT_HISTORY_EVENTS_PER_HOST = 100_000;
/** Below this many events a stream's history is too short to learn from: edges keep the prior. */
export const MIN_HISTORY_EVENTS = 2_000;

export interface PreallocTrainResult {
  streams: PreallocTrainingStream[];
  operationId: string;
}

const quality = (q: PredictionQuality) => ({ precision: q.precision, recall: q.recall, alerts: q.alerts, onsets: q.onsets });

/**
 * `prealloc.train`: the cold-start model of the edges' content model, per stream, from the
 * stream's own stored history (the latest events of every reachable host, replayed in event-time
 * order). It is scored on the held-out last quarter against the type-blind rate model and
 * installed only when it beats it, over no stored model, an untrained prior or a model that learnt
 * less (a live model that learnt more online is never replaced); running edges adopt an install on
 * their next publish tick. It learns with the settings' step, horizon and surge thresholds, as the
 * edges' models count. Every run is recorded with each stream's outcome and the held-out figures,
 * for the Models page.
 */
export async function runPreallocTrain(
  deps: WorkerDeps,
  ctx: {
    redis: Redis;
    prefix: string;
    streamId?: string;
    actor?: string | null;
    eventsPerHost?: number;
    signal?: AbortSignal;
    onProgress?: (fraction: number) => Promise<void> | void;
  },
): Promise<PreallocTrainResult> {
  const started = deps.clock();
  const streams = (await listStreamNames(deps.db)).filter((s) => ctx.streamId === undefined || s.id === ctx.streamId);
  const hosts = await listReachableHosts(deps.db);
  const cfg = preallocModelConfig(await getPreallocSettings(deps.db));
  const out: PreallocTrainingStream[] = [];
  for (const [i, stream] of streams.entries()) {
    ctx.signal?.throwIfAborted();
    const events: HistoryEvent[] = [];
    for (const h of hosts) {
      try {
        const rows = await (await deps.hosts.get(h.id)).recentEvents(stream.id, ctx.eventsPerHost ?? DEFAULT_HISTORY_EVENTS_PER_HOST);
        for (const r of rows) events.push({ atMs: r.ts, key: r.key, type: r.type });
      } catch (err) {
        // A host that does not answer leaves a gap in history, not a failed run.
        deps.log.warn("prealloc.train skipped a host's history", { hostId: h.id, streamId: stream.id, error: probeErrorMessage(err) });
      }
    }
    const base = { streamId: stream.id, stream: stream.name, events: events.length, version: null, heldOut: null, baseline: null };
    if (events.length < MIN_HISTORY_EVENTS) {
      out.push({ ...base, outcome: "skipped", note: `${events.length} stored events, fewer than ${MIN_HISTORY_EVENTS}: edges keep the conservative prior` });
    } else {
      events.sort((a, b) => a.atMs - b.atMs);
      const table = RoutingTable.build(stream.id, await loadRoutes(deps.db, stream.id));
      const e = evaluateContentModel(events, (key) => table.lookup(keyHash(key)).id, { cfg });
      const figures = { version: e.state.examples, heldOut: quality(e.heldOut), baseline: quality(e.baseline) };
      if (!e.better) {
        const why = e.heldOut.alerts === 0 ? "it raised no alert on the held-out quarter" : "it did not beat the type-blind rate model on the held-out quarter";
        out.push({ ...base, ...figures, outcome: "worse", note: `not installed: ${why}` });
      } else {
        const installed = await installContentModel(ctx.redis, ctx.prefix, stream.id, e.state, deps.clock());
        out.push({
          ...base,
          ...figures,
          outcome: installed ? "installed" : "kept",
          note: installed ? "installed: running edges adopt it on their next publish" : "the edges' model has learnt more than this one and keeps learning; this one was not installed",
        });
      }
    }
    await ctx.onProgress?.((i + 1) / Math.max(1, streams.length));
  }
  const { id } = await recordPreallocTraining(deps.db, { actor: ctx.actor ?? null, durationMs: deps.clock() - started, streams: out });
  deps.log.info("default content models trained", { streams: out.map((s) => ({ stream: s.stream, outcome: s.outcome, events: s.events })) });
  return { streams: out, operationId: id };
}
