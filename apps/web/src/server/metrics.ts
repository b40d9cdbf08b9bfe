import type { ProcedureCall } from "@shardcast/api/context";
import { listExpiredUnread, type ControlDb } from "@shardcast/db";
import { Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from "@shardcast/runtime/metrics";

interface ConsoleMetrics {
  registry: Registry;
  calls: Counter<"procedure" | "type" | "outcome">;
  seconds: Histogram<"procedure" | "type">;
  expiredUnread: Gauge<"stream" | "group">;
}

const KEY = Symbol.for("shardcast.console.metrics");
type Holder = { [KEY]?: ConsoleMetrics };

/**
 * One registry per process, kept on `globalThis`: Next.js may load this module once per route
 * bundle (and again on every dev reload), and two registries would split the counts between the
 * tRPC route that records them and the metrics route that reports them.
 */
export function consoleMetrics(): ConsoleMetrics {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY];
  const registry = createMetricsRegistry();
  const metrics: ConsoleMetrics = {
    registry,
    calls: new Counter({
      name: "shardcast_web_trpc_calls_total",
      help: "Console tRPC procedure calls, by procedure, type (query, mutation) and outcome (ok or the tRPC error code)",
      labelNames: ["procedure", "type", "outcome"],
      registers: [registry],
    }),
    seconds: new Histogram({
      name: "shardcast_web_trpc_call_seconds",
      help: "Duration of console tRPC procedure calls, by procedure and type",
      labelNames: ["procedure", "type"],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    expiredUnread: new Gauge({
      name: "shardcast_consumer_group_expired_unread_events",
      help: "Events that expired (stream retention) before the consumer group read them, since the group was created; only groups with some are listed",
      labelNames: ["stream", "group"],
      registers: [registry],
    }),
  };
  holder[KEY] = metrics;
  return metrics;
}

/** The tRPC context's `onProcedure`: procedure paths come from the router, so the labels are bounded. */
export function observeProcedure(call: ProcedureCall): void {
  const m = consoleMetrics();
  m.calls.inc({ procedure: call.path, type: call.type, outcome: call.outcome });
  m.seconds.observe({ procedure: call.path, type: call.type }, call.ms / 1000);
}

/**
 * Cluster figures kept in the control database, read at each scrape: every console reports the
 * same values, so any one of them can be scraped (or all, deduplicated by the labels).
 */
export async function refreshClusterGauges(db: ControlDb): Promise<void> {
  const m = consoleMetrics();
  const rows = await listExpiredUnread(db);
  m.expiredUnread.reset();
  for (const r of rows) m.expiredUnread.set({ stream: r.stream, group: r.group }, r.events);
}
