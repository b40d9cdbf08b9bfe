import type { StoredEvent } from "@shardcast/core";
import { keptJson } from "../cache/event-json.ts";

const COMMA = 0x2c;

/**
 * `JSON.stringify(page)` (UTF-8) for a page whose `events` come first, written from the events'
 * kept texts (see cache/event-json.ts) and the other fields serialized as usual; null when an
 * event has no kept text (then the caller serializes the page whole, as before, so an edge
 * without a cache pays nothing for this). The other fields are few and small (positions).
 */
export function pageJson(page: { readonly events: readonly StoredEvent[] }): Buffer | null {
  const events = page.events;
  const parts = new Array<Buffer>(events.length);
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const text = keptJson(events[i]!);
    if (text === undefined) return null;
    parts[i] = text;
    bytes += text.length;
  }
  let tail = "]";
  let first = true;
  for (const key in page) {
    if (!Object.hasOwn(page, key)) continue;
    if (first && key !== "events") return null; // the texts are spliced in first: another order is serialized whole
    first = false;
    if (key === "events") continue;
    // JSON.stringify leaves out what it cannot write (undefined, functions); so does the page.
    const value = JSON.stringify((page as Record<string, unknown>)[key]) as string | undefined;
    if (value !== undefined) tail += `,${JSON.stringify(key)}:${value}`;
  }
  tail += "}";
  const head = '{"events":[';
  const out = Buffer.allocUnsafe(head.length + bytes + Math.max(0, parts.length - 1) + Buffer.byteLength(tail));
  let at = out.write(head, 0, "latin1");
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += parts[i]!.copy(out, at);
  }
  out.write(tail, at);
  return out;
}
