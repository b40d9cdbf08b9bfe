import { knownEventSizes, type StoredEvent } from "@shardcast/core";

/**
 * An event a host read returns, carrying the size it was stored with (`size_bytes`, counted by
 * `eventSizeBytes` at its write) in core's `knownEventSizes`, so no reader serializes its payload
 * to count it. Every host read builds its events through this.
 */
export function readEvent(e: StoredEvent, sizeBytes: number | null): StoredEvent {
  if (sizeBytes !== null) knownEventSizes.set(e, sizeBytes);
  return e;
}
