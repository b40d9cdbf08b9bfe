import { keyHash } from "@shardcast/core";
import type { IngestObserver } from "../ingest-observer.ts";
import { storedBytes } from "../stored-bytes.ts";
import type { ReadObserver } from "../reads.ts";
import type { TelemetryCounters } from "./counters.ts";
import type { EdgeProfiler } from "./profiler.ts";

/**
 * The write-path hook: counts each answered batch, profiles a sample of it, and tells `types`
 * (the read cache's correlation counts and prefetcher) which event types arrived.
 */
export function writeTelemetry(
  counters: TelemetryCounters,
  profiler?: EdgeProfiler,
  types?: (streamId: string, events: ReadonlyArray<{ type?: string | null | undefined; payload?: unknown; payloadJson?: string | undefined }>) => void,
): Required<Pick<IngestObserver, "acked">> {
  return {
    acked: (streamId, events, outcomes, latencyMs, entry) => {
      counters.recordWrites(streamId, events, outcomes, latencyMs);
      profiler?.recordWrites(entry, events, outcomes, latencyMs);
      types?.(streamId, events);
    },
  };
}

/**
 * The read-path hook: each event counts on the shardlet that owns its key now (the label stored
 * with an event is the shardlet that accepted it, which may since have split or merged).
 */
export function readTelemetry(counters: TelemetryCounters, profiler?: EdgeProfiler): ReadObserver {
  return {
    read(entry, events, reader, latencyMs) {
      if (events.length === 0) return;
      let lastKey: string | null = null;
      let lastId = "";
      const mapped = events.map((e) => {
        if (e.key !== lastKey) {
          lastKey = e.key;
          lastId = entry.table.lookup(keyHash(e.key)).id;
        }
        return { key: e.key, shardletId: lastId, bytes: storedBytes(e), seq: e.seq };
      });
      counters.recordReads(entry.meta.id, mapped, reader);
      if (profiler && latencyMs !== undefined) {
        profiler.recordRead(
          entry,
          mapped.map((m) => m.shardletId),
          latencyMs,
        );
      }
    },
  };
}
