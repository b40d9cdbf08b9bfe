import type http from "node:http";
import { boundedLabel, Counter, createMetricsRegistry, Gauge, Histogram, LATENCY_BUCKETS, type Registry } from "@shardcast/runtime/metrics";
import type { CacheCounters } from "../cache/cache-stats.ts";
import type { BatchAnswer, IngestObserver, ShadowOutcome } from "../ingest-observer.ts";
import type { ReadAnswer, ReadKind, ReadObserver } from "../reads.ts";
import type { PatchOutcome, ReloadReason } from "../routing-cache.ts";

/** Streams are few; past this many distinct names (e.g. requests for unknown ones) the label is `_other`. */
const MAX_STREAM_LABELS = 200;

/** Request routes for the HTTP counter: a fixed set, never the raw path. */
function routeOf(path: string): string {
  if (path.startsWith("/trpc/")) return "trpc";
  if (/^\/v1\/streams\/[^/]+\/events$/.test(path)) return "events";
  if (/^\/v1\/streams\/[^/]+\/keys\/[^/]+\/events$/.test(path)) return "key_events";
  if (path === "/v1/hints") return "hints";
  if (path === "/healthz" || path === "/livez" || path === "/readyz" || path === "/metrics") return path.slice(1);
  return "other";
}

/**
 * The edge's Prometheus metrics. The write and read paths report through their observers, so the
 * hot path pays one counter increment or histogram observation per batch or read, never per event
 * or per key; labels are stream names (capped), outcomes, kinds and reasons, never keys or shardlets.
 */
export class EdgeMetrics {
  readonly registry: Registry;
  private readonly stream = boundedLabel(MAX_STREAM_LABELS);
  private readonly ingestBatches: Counter<"stream" | "outcome">;
  private readonly ingestEvents: Counter<"stream" | "outcome">;
  private readonly ackSeconds: Histogram<"stream">;
  private readonly reads: Counter<"stream" | "kind" | "outcome">;
  private readonly readEvents: Counter<"stream" | "kind">;
  private readonly readSeconds: Histogram<"kind">;
  private readonly fenceRejections: Counter;
  private readonly idLookups: Counter;
  private readonly overflowEvents: Counter;
  private readonly shadowEvents: Counter<"outcome">;
  private readonly sequenceWait: Histogram;
  private readonly holdSeconds: Histogram<"outcome">;
  private readonly routeReloads: Counter<"reason">;
  private readonly routePatches: Counter<"outcome">;
  private readonly httpRequests: Counter<"route" | "status">;
  private readonly inflight: Gauge;

  constructor(registry: Registry = createMetricsRegistry()) {
    this.registry = registry;
    const registers = [registry];
    this.ingestBatches = new Counter({
      name: "shardcast_edge_ingest_batches_total",
      help: "Ingest batches answered, by stream and outcome (accepted, rejected: 4xx, failed: 5xx)",
      labelNames: ["stream", "outcome"],
      registers,
    });
    this.ingestEvents = new Counter({
      name: "shardcast_edge_ingest_events_total",
      help: "Events of answered ingest batches, by stream and outcome (accepted, duplicate, rejected: 4xx, failed: 5xx)",
      labelNames: ["stream", "outcome"],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: "shardcast_edge_ingest_ack_seconds",
      help: "Time from a batch's arrival at the write path to its acknowledgement (every host committed), accepted batches",
      labelNames: ["stream"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.reads = new Counter({
      name: "shardcast_edge_reads_total",
      help: "Reads answered, by stream, kind (position, key) and outcome (ok, rejected: 4xx, failed: 5xx)",
      labelNames: ["stream", "kind", "outcome"],
      registers,
    });
    this.readEvents = new Counter({
      name: "shardcast_edge_read_events_total",
      help: "Events returned by reads, by stream and kind",
      labelNames: ["stream", "kind"],
      registers,
    });
    this.readSeconds = new Histogram({
      name: "shardcast_edge_read_seconds",
      help: "Latency of successful reads, by kind (position, key)",
      labelNames: ["kind"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.holdSeconds = new Histogram({
      name: "shardcast_edge_write_hold_seconds",
      help: "How long batches waited for a hand-off's, split's or merge's switch before writing (outcome released: the switch came in time; ran_out: they took the overflow log)",
      labelNames: ["outcome"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.fenceRejections = new Counter({
      name: "shardcast_edge_fence_rejections_total",
      help: "Write parts (one shardlet's events in one batch) a host's fence refused because the route was stale",
      registers,
    });
    this.idLookups = new Counter({
      name: "shardcast_edge_id_lookups_total",
      help: "Events with ids looked up on other hosts before their write (history a hand-off left, a pending overflow log), by when: early (beside the request for sequence numbers) or late (after it, one round trip more)",
      labelNames: ["when"],
      registers,
    });
    this.overflowEvents = new Counter({
      name: "shardcast_edge_overflow_events_total",
      help: "Events appended to a shard's overflow log because their shardlet was op-locked or changing, by whether the content model predicted the shardlet's surge",
      labelNames: ["prediction"] as const,
      registers,
    });
    this.shadowEvents = new Counter({
      name: "shardcast_edge_shadow_write_events_total",
      help: "Events of migrating shardlets written to their destination host, by outcome (written, refused, failed)",
      labelNames: ["outcome"],
      registers,
    });
    this.sequenceWait = new Histogram({
      name: "shardcast_edge_sequence_wait_seconds",
      help: "Time a batch waited for its block of global sequence numbers",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.routeReloads = new Counter({
      name: "shardcast_edge_route_reloads_total",
      help: "Routing table reloads, by reason (pubsub, fence, periodic, reconnect)",
      labelNames: ["reason"],
      registers,
    });
    this.routePatches = new Counter({
      name: "shardcast_edge_route_patches_total",
      help: "Routes sent with a change's announcement, by outcome (applied, stale, mismatch, unloaded)",
      labelNames: ["outcome"],
      registers,
    });
    this.httpRequests = new Counter({
      name: "shardcast_edge_http_requests_total",
      help: "HTTP requests answered, by route and status code",
      labelNames: ["route", "status"],
      registers,
    });
    this.inflight = new Gauge({
      name: "shardcast_edge_http_requests_in_flight",
      help: "HTTP requests being answered",
      registers,
    });
  }

  /** Exports the profiler's error count (steps that threw; each one was skipped, no write failed). */
  watchProfiler(profiler: { readonly errors: number }): void {
    new Gauge({
      name: "shardcast_edge_profiler_errors",
      help: "Profiling steps that failed and were skipped since the edge started (writes are never affected)",
      registers: [this.registry],
      collect() {
        this.set(profiler.errors);
      },
    });
  }

  /** The shard cache's counters and fill (cumulative since start, read at scrape time). */
  watchReadCache(cache: { readonly stats: { readonly total: CacheCounters }; readonly cache: { readonly bytes: number; readonly entries: number; readonly maxBytes: number }; readonly queue: { readonly size: number } }): void {
    const counter = (name: string, help: string, value: (t: CacheCounters) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value(cache.stats.total));
        },
      });
    counter("shardcast_edge_cache_hits", "Consumer read parts answered from the shard cache since start", (t) => t.hits);
    counter("shardcast_edge_cache_misses", "Consumer read parts no cache entry covered since start", (t) => t.misses);
    counter("shardcast_edge_cache_bytes_from_cache", "Bytes of events served from the shard cache since start", (t) => t.bytesFromCache);
    counter("shardcast_edge_cache_bytes_from_hosts", "Bytes of events consumer reads took from the hosts since start", (t) => t.bytesFromHosts);
    counter("shardcast_edge_cache_host_reads_saved", "Consumer reads answered without any host read since start", (t) => t.hostReadsSaved);
    counter("shardcast_edge_cache_watermark_reads_saved", "Of those, reads answered below a watermark the edge had already seen, without a Redis round trip, since start", (t) => t.watermarkReadsSaved);
    counter("shardcast_edge_prefetch_bytes", "Bytes the prefetcher pulled into the cache since start", (t) => t.prefetchedBytes);
    counter("shardcast_edge_prefetch_wasted_bytes", "Prefetched bytes evicted before any read since start", (t) => t.wastedPrefetchBytes);
    counter("shardcast_edge_prefetch_skipped", "Prefetches the cache refused since start (they would have evicted entries worth more per byte)", (t) => t.skippedPrefetches);
    counter("shardcast_edge_group_read_aheads", "Consumer group members' next pages read into the cache while they worked, since start", (t) => t.readAheads);
    counter("shardcast_edge_group_read_ahead_bytes", "Bytes of those pages read from the hosts since start", (t) => t.readAheadBytes);
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value());
        },
      });
    gauge("shardcast_edge_cache_bytes", "Bytes held by the shard cache", () => cache.cache.bytes);
    gauge("shardcast_edge_cache_budget_bytes", "Byte budget of the shard cache", () => cache.cache.maxBytes);
    gauge("shardcast_edge_cache_entries", "Entries held by the shard cache", () => cache.cache.entries);
    gauge("shardcast_edge_prefetch_queued", "Prefetch requests waiting for their time", () => cache.queue.size);
  }

  /** The write path's hooks. */
  ingestObserver(): Required<Pick<IngestObserver, "answered" | "sequenced" | "fenceRejected" | "held" | "idsLookedUp">> {
    return {
      answered: (stream: string, a: BatchAnswer) => {
        const label = this.stream(stream);
        this.ingestBatches.inc({ stream: label, outcome: a.outcome });
        if (a.outcome === "accepted") {
          if (a.accepted > 0) this.ingestEvents.inc({ stream: label, outcome: "accepted" }, a.accepted);
          if (a.duplicates > 0) this.ingestEvents.inc({ stream: label, outcome: "duplicate" }, a.duplicates);
          this.ackSeconds.observe({ stream: label }, a.latencyMs / 1000);
        } else if (a.events > 0) {
          this.ingestEvents.inc({ stream: label, outcome: a.outcome }, a.events);
        }
      },
      sequenced: (waitMs: number) => this.sequenceWait.observe(waitMs / 1000),
      fenceRejected: () => this.fenceRejections.inc(),
      idsLookedUp: (events: number, early: boolean) => this.idLookups.inc({ when: early ? "early" : "late" }, events),
      held: (waitMs: number, released: boolean) => this.holdSeconds.observe({ outcome: released ? "released" : "ran_out" }, waitMs / 1000),
    };
  }

  /** Overflow and shadow-write counts, merged into the write path's other hooks by the caller. */
  fellBack(events: number, prediction: "predicted" | "none" = "none"): void {
    this.overflowEvents.inc({ prediction }, events);
  }

  shadowed(events: number, outcome: ShadowOutcome): void {
    this.shadowEvents.inc({ outcome }, events);
  }

  /** The read path's hook. */
  readObserver(): Required<Pick<ReadObserver, "answered">> {
    return {
      answered: (stream: string, kind: ReadKind, a: ReadAnswer) => {
        const label = this.stream(stream);
        this.reads.inc({ stream: label, kind, outcome: a.outcome });
        if (a.events > 0) this.readEvents.inc({ stream: label, kind }, a.events);
        if (a.outcome === "ok") this.readSeconds.observe({ kind }, a.latencyMs / 1000);
      },
    };
  }

  routeReloaded(reason: ReloadReason): void {
    this.routeReloads.inc({ reason });
  }

  routePatched(outcome: PatchOutcome): void {
    this.routePatches.inc({ outcome });
  }

  /** Counts every request of `server` by route and status, and the requests in flight. */
  watch(server: http.Server): void {
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.inflight.inc();
      let done = false;
      const end = () => {
        if (done) return;
        done = true;
        this.inflight.dec();
        const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
        this.httpRequests.inc({ route: routeOf(path), status: res.headersSent ? String(res.statusCode) : "aborted" });
      };
      res.once("finish", end);
      res.once("close", end);
    });
  }
}
