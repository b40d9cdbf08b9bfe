import type { StoredEvent } from "@shardcast/core";
import { objectMemo } from "./object-memo.ts";

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
