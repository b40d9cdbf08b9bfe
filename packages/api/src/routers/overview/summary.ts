import { z } from "zod";
import { isRoutedState } from "@shardcast/core";
import { listConsumerGroupSummaries, listHosts, listOperations, listPeriodicJobs, listShardlets, listStreams, metricSeries } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { lifecycleActivity } from "../../services/operation-categories.ts";
import { overdueMessage, overduePeriodicJobs } from "../../services/periodic-jobs.ts";
import { groupSummarySchema } from "../consumers/schemas.ts";
import { hostSchema, operationSchema } from "../shared.ts";
import { hostView } from "../hosts/view.ts";
import { operationView } from "../operations/view.ts";

export const INGEST_RATE_METRIC = "ingest.events_per_s";

export const summaryInput = z
  .object({
    /** How far back the ingest-rate series goes. */
    windowMinutes: z.number().int().min(1).max(24 * 60).default(30),
  })
  .default({ windowMinutes: 30 });

const alertSchema = z.object({
  level: z.enum(["error", "warning"]),
  message: z.string(),
});

export const summaryOutput = z.object({
  ingest: z.array(z.object({ at: z.number(), value: z.number() })),
  /** Latest ingest rate sample (events/s), or null before the first sample. */
  currentRate: z.number().nullable(),
  totals: z.object({
    events: z.number(),
    bytes: z.number(),
    streams: z.number(),
    shardlets: z.number(),
    hosts: z.number(),
    hostsDown: z.number(),
  }),
  hosts: z.array(hostSchema.extend({ fullness: z.number() })),
  operations: z.array(operationSchema),
  alerts: z.array(alertSchema),
  /** Splits and merges finished in the last hour, and events that went through overflow logs (contention). */
  lifecycle: z.object({ splitsLastHour: z.number(), mergesLastHour: z.number(), contentionLastHour: z.number() }),
  /** Every consumer group with its lag (events behind and the oldest unconsumed event's age). */
  consumers: z.array(groupSummarySchema),
});

/** Thresholds for the overview's alert list (display only; the worker has its own). */
const HOST_FULL_WARNING = 0.8;
const SHARDLET_FULL_WARNING = 0.8;

export const summary = viewerProcedure
  .input(summaryInput)
  .output(summaryOutput)
  .query(async ({ ctx, input }) => {
    const since = Date.now() - input.windowMinutes * 60_000;
    const [series, hosts, streams, shardlets, operations, activity, periodicJobs, consumerGroups] = await Promise.all([
      // The worker records the rate per stream as well; the chart shows the whole cluster's.
      metricSeries(ctx.db, INGEST_RATE_METRIC, since, { clusterWide: true }),
      listHosts(ctx.db),
      listStreams(ctx.db),
      listShardlets(ctx.db, {}),
      listOperations(ctx.db, { limit: 12 }),
      lifecycleActivity(ctx.db, new Date(Date.now() - 60 * 60_000)),
      listPeriodicJobs(ctx.db),
      listConsumerGroupSummaries(ctx.db),
    ]);

    // Several workers may record the same instant: sum those.
    const byInstant = new Map<number, number>();
    for (const p of series) byInstant.set(p.at, (byInstant.get(p.at) ?? 0) + p.value);
    const ingest = [...byInstant.entries()].map(([at, value]) => ({ at, value })).sort((a, b) => a.at - b.at);

    // A split's or merge's pending shardlets hold their sources' rows a second time until it switches.
    const live = shardlets.filter((s) => isRoutedState(s.state));
    const hostViews = hosts.map((h) => ({
      ...hostView(h),
      fullness: h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0,
    }));

    const alerts: z.infer<typeof alertSchema>[] = [];
    for (const h of hostViews) {
      if (h.status === "down") {
        alerts.push({ level: "error", message: `Host ${h.name} is down${h.lastError ? `: ${h.lastError}` : ""}` });
      } else if (h.lastError) {
        alerts.push({ level: "warning", message: `Host ${h.name} reported an error: ${h.lastError}` });
      }
      if (h.fullness >= HOST_FULL_WARNING) {
        alerts.push({ level: "warning", message: `Host ${h.name} is ${Math.round(h.fullness * 100)}% full` });
      }
    }
    const fullShardlets = live.filter((s) => s.capacityBytes > 0 && s.sizeBytes / s.capacityBytes >= SHARDLET_FULL_WARNING);
    if (fullShardlets.length > 0) {
      alerts.push({
        level: "warning",
        message: `${fullShardlets.length} shardlet${fullShardlets.length === 1 ? " is" : "s are"} over ${SHARDLET_FULL_WARNING * 100}% full`,
      });
    }
    if (hosts.length === 0) alerts.push({ level: "warning", message: "No storage host is registered." });
    for (const job of overduePeriodicJobs(periodicJobs, Date.now())) alerts.push({ level: "error", message: overdueMessage(job) });
    const failed = operations.filter((o) => o.status === "failed");
    for (const o of failed.slice(0, 3)) alerts.push({ level: "warning", message: `Operation ${o.kind} failed: ${o.message}` });

    return {
      ingest,
      currentRate: ingest.length > 0 ? ingest[ingest.length - 1]!.value : null,
      totals: {
        events: live.reduce((sum, s) => sum + s.eventCount, 0),
        bytes: live.reduce((sum, s) => sum + s.sizeBytes, 0),
        streams: streams.length,
        shardlets: live.length,
        hosts: hosts.length,
        hostsDown: hosts.filter((h) => h.status === "down").length,
      },
      hosts: hostViews,
      operations: operations.map(operationView),
      alerts,
      lifecycle: { splitsLastHour: activity.splits, mergesLastHour: activity.merges, contentionLastHour: activity.contentionEvents },
      consumers: consumerGroups.map((g) => ({ ...g, lastCheckpointAt: g.lastCheckpointAt === null ? null : new Date(g.lastCheckpointAt) })),
    };
  });
