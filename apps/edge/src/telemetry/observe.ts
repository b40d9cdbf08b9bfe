import { keyHash, type StoredEvent } from "@shardcast/core";
import type { IngestObserver } from "../ingest-observer.ts";
import { objectMemo } from "../object-memo.ts";
import type { ReadObserver } from "../reads.ts";
import type { TelemetryCounters } from "./counters.ts";
import type { EdgeProfiler } from "./profiler.ts";

/**
 * Bytes of a returned event, measured as the write path measures a stored one (payload JSON, key,
 * type and id in UTF-8), so bytes read and bytes written are the same unit. Kept per event object:
 * a cached event is counted on every read that serves it (the cache's budget, the served bytes,
 * the read telemetry), and serializing its payload each time cost a cache hit as much again as
 * serializing the page it answers.
 */
const sizes = objectMemo<number>("shardcast.storedBytes");

export function storedBytes(e: Pick<StoredEvent, "payload" | "key" | "type" | "id">): number {
  const known = sizes.get(e);
  if (known !== undefined) return known;
  const bytes = Buffer.byteLength(JSON.stringify(e.payload ?? null)) + Buffer.byteLength(e.key) + (e.type ? Buffer.byteLength(e.type) : 0) + (e.id ? Buffer.byteLength(e.id) : 0);
  sizes.set(e, bytes);
  return bytes;
}

/**
 * The write-path hook: counts each answered batch, profiles a sample of it, and tells `types`
 * (the read cache's correlation counts and prefetcher) which event types arrived.
 */
export function writeTelemetry(
  counters: TelemetryCounters,
  profiler?: EdgeProfiler,
  types?: (streamId: string, events: ReadonlyArray<{ type?: string | null | undefined }>) => void,
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
