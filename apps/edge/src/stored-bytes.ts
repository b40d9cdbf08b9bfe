import { eventSizeBytes, knownEventSizes, type StoredEvent } from "@shardcast/core";

const nodeUtf8Length = (s: string): number => Buffer.byteLength(s);

/**
 * `eventSizeBytes` of a returned event, kept per event object (core's `knownEventSizes`): a cached
 * event is counted on every read that serves it (the cache's budget, the served bytes, the read
 * telemetry, its pages), and serializing its payload each time cost a cache hit as much again as
 * serializing the page it answers. Events from a host read arrive with the size they were stored
 * with, so they are never serialized to be counted.
 */
export function storedBytes(e: Pick<StoredEvent, "payload" | "key" | "type" | "id">): number {
  const known = knownEventSizes.get(e);
  if (known !== undefined) return known;
  const bytes = eventSizeBytes(e, undefined, nodeUtf8Length);
  knownEventSizes.set(e, bytes);
  return bytes;
}
