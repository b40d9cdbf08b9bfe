import { objectMemo, type StoredEvent } from "@shardcast/core";

/**
 * The JSON text of cached events, serialized once: a cached event may be served many times, and
 * serializing it for every page was most of what a cache hit cost. A prefetch keeps its events'
 * texts before the read it was fetched for; an event a read filled gets its text when a hit serves
 * it again (a reader that reads each event once never pays for one; see shard-cache.ts). Kept per
 * event object (as `storedBytes` keeps sizes), so it follows the event into every page that serves
 * it, partial pages included, and leaves with the last entry holding it. The text is
 * `JSON.stringify` of the very object a page would otherwise serialize, and events are never
 * mutated after a read returns them, so a page written from these texts is the same bytes. Kept
 * encoded (UTF-8): a page is copied together and sent without encoding it again.
 */
const texts = objectMemo<Buffer>("shardcast.keptJson");

/** Serializes the event once, if it is not yet. */
export function keepJson(e: StoredEvent): void {
  if (texts.get(e) === undefined) texts.set(e, Buffer.from(JSON.stringify(e)));
}

/** The event's JSON text, when it was kept (any other object has none). */
export function keptJson(e: object): Buffer | undefined {
  return texts.get(e);
}
